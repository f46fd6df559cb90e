import { CliError } from './cli-error';

/** What every openapi-fetch call resolves to. */
export interface FetchResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * The body of a successful response, or a CliError carrying the API's message and the exit
 * code for its status. Many routes declare no response schema in the OpenAPI document, so
 * the caller names the shape it reads (`T`); where the schema exists, pass its type.
 */
export async function ok<T = Record<string, unknown>>(call: Promise<FetchResult>, what: string): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw CliError.fromResponse(response.status, error, what);
  return data as T;
}

/** A raw fetch Response: its JSON when 2xx, else a CliError as `ok` gives. */
export async function okJson<T = Record<string, unknown>>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the text itself is the message
  }
  if (!response.ok) throw CliError.fromResponse(response.status, body, what);
  return body as T;
}
