import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './openapi.generated';

export type ApiClient = Client<paths>;

export interface ApiClientOptions {
  /** Server base URL, e.g. `http://127.0.0.1:3000`; the `/api/v1` prefix is part of each path. */
  baseUrl: string;
  /** API token; sent as `Authorization: Bearer …`, never in a URL. */
  token?: string | (() => string | undefined);
  fetch?: typeof globalThis.fetch;
}

/** A client of the operator REST API, typed by the server's own OpenAPI document. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), fetch: options.fetch });
  const tokenOf = typeof options.token === 'function' ? options.token : () => options.token as string | undefined;
  const bearer: Middleware = {
    onRequest({ request }) {
      const token = tokenOf();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  };
  client.use(bearer);
  return client;
}
