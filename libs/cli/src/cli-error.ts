import { EXIT, type ExitCode, exitCodeForStatus } from './exit-codes';

/** An error the CLI reports as one line on stderr and turns into its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.error,
  ) {
    super(message);
  }

  static usage(message: string): CliError {
    return new CliError(message, EXIT.usage);
  }

  /** From an API error response `{statusCode, error, message}`: the API's own message. */
  static fromResponse(status: number, body: unknown, what: string): CliError {
    return new CliError(`${what}: ${status} ${apiMessage(body) ?? ''}`.trimEnd(), exitCodeForStatus(status));
  }
}

function apiMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 500) || undefined;
  if (body && typeof body === 'object') {
    const { message, error } = body as { message?: unknown; error?: unknown };
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
    if (typeof error === 'string') return error;
  }
  return undefined;
}
