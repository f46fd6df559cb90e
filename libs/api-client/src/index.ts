export * from './api-client';
export type { components, operations, paths } from './openapi.generated';
export * from './server-sent-events';
