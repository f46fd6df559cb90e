/**
 * Why the embedded Postgres cannot run, in one line with the fix. `setting` names the variable
 * at fault when it is one (a data folder that cannot be used), so the server reports it as a bad setting.
 */
export class EmbeddedPostgresError extends Error {
  constructor(
    message: string,
    readonly setting?: string,
  ) {
    super(message);
  }
}
