/** What a script may rely on: the process exit code of every `edgefleet` command. */
export const EXIT = {
  ok: 0,
  /** Anything else: the server unreachable or failing (5xx), a network error. */
  error: 1,
  /** Bad arguments or input: unknown option, unreadable or invalid file, the API's 400. */
  usage: 2,
  notFound: 3,
  /** 409, or 412 on a stale `--if-match`. */
  conflict: 4,
  /** 401 (no or bad token) or 403 (role too low). */
  auth: 5,
  /** `rollouts watch`: the rollout ended in a state other than `completed`. */
  rolloutNotCompleted: 6,
  /** `artifacts verify`: the file's hash or signature does not match. */
  verifyFailed: 7,
  /** `devices import`: some rows were refused; the others were registered. */
  partial: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for an HTTP error status. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412) return EXIT.conflict;
  if (status === 400 || status === 413 || status === 422) return EXIT.usage;
  return EXIT.error;
}
