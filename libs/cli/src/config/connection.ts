import { type ApiClient, createApiClient } from '@edgefleet/api-client';
import { CliError } from '../cli-error';
import { ContextStore } from './context-store';

/** The options every command takes, from the root program. */
export interface GlobalOptions {
  server?: string;
  token?: string;
  context?: string;
  output?: string;
}

/** The server a command talks to and the token it uses. */
export interface Connection {
  server: string;
  token: string;
  api: ApiClient;
  /** fetch on the server with the token, for what the typed client does not stream (uploads, events). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export function normalizeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw CliError.usage(`--server: '${url}' is not a URL (e.g. http://127.0.0.1:3000)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw CliError.usage(`--server: '${url}' must be http:// or https://`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/**
 * Each of server and token: the option, else the environment, else the chosen (or current)
 * context. `requireToken: false` for the unauthenticated routes (`/health`).
 */
export function resolveConnection(globals: GlobalOptions, env: NodeJS.ProcessEnv, requireToken = true): Connection {
  const config = new ContextStore(env).load();
  const name = globals.context ?? env.EDGEFLEET_CONTEXT ?? config.current;
  const context = name ? config.contexts[name] : undefined;
  if (globals.context && !context) throw CliError.usage(`--context: no context named '${globals.context}' (see: edgefleet context list)`);
  const server = globals.server ?? env.EDGEFLEET_SERVER ?? context?.server;
  const token = globals.token ?? env.EDGEFLEET_TOKEN ?? context?.token;
  if (!server) throw CliError.usage('no server: run `edgefleet login --server URL --token TOKEN`, or set EDGEFLEET_SERVER');
  if (!token && requireToken) throw CliError.usage('no API token: run `edgefleet login`, or set EDGEFLEET_TOKEN or --token');
  return connectTo(normalizeServer(server), token ?? '');
}

export function connectTo(server: string, token: string): Connection {
  return {
    server,
    token,
    api: createApiClient({ baseUrl: server, token: token || undefined }),
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      return fetch(`${server}${path}`, { ...init, headers });
    },
  };
}
