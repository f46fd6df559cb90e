import { EXIT } from './exit-codes';

export const EXIT_CODES_HELP = `Exit codes:
  ${EXIT.ok}  success
  ${EXIT.error}  error (server unreachable or failing)
  ${EXIT.usage}  usage: bad arguments or input file, or the API refused the input (400)
  ${EXIT.notFound}  not found (404)
  ${EXIT.conflict}  conflict (409), or a stale --if-match (412)
  ${EXIT.auth}  no or bad token (401), or the token's role is not enough (403)
  ${EXIT.rolloutNotCompleted}  rollouts watch: the rollout ended other than completed
  ${EXIT.verifyFailed}  artifacts verify: hash or signature mismatch
  ${EXIT.partial}  devices import: some rows were refused, the rest registered`;

/** "Examples:" text for a command's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
