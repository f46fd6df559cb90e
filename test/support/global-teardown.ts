export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __edgefleetPgCleanup?: () => Promise<void> }).__edgefleetPgCleanup?.();
}
