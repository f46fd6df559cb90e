import { ADMIN_URL_ENV, startTestPostgres } from './test-postgres';

export default async function globalSetup(): Promise<void> {
  const { server, cleanup } = await startTestPostgres();
  process.env[ADMIN_URL_ENV] = server.url;
  (globalThis as { __edgefleetPgCleanup?: () => Promise<void> }).__edgefleetPgCleanup = cleanup;
}
