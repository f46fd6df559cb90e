import { createApiClient } from '@edgefleet/api-client';
import { signOut, token } from '../state/session';

export type { components } from '@edgefleet/api-client';

/** The REST API of this server, typed from its own OpenAPI document; the token goes in the Authorization header. */
export const api = createApiClient({ baseUrl: location.origin, token: () => token.value ?? undefined });

api.use({
  onResponse({ response }) {
    // A revoked token: back to sign-in rather than a page of errors.
    if (response.status === 401) signOut();
    return response;
  },
});

/** The API's error text (`message`), or the status. */
export function errorText(error: unknown, response?: Response): string {
  const message = (error as { message?: unknown } | undefined)?.message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return response ? `The server answered ${response.status}` : String(error);
}

/** Unwraps an openapi-fetch result: the data, or an Error with the API's message. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new Error(errorText(error, response));
  return data as T;
}

/** Raw fetch with the token, for what openapi-fetch does not cover (streams, uploads with progress). */
export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, authorization: `Bearer ${token.value ?? ''}` };
}
