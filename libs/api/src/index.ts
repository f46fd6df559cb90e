export * from './api-error.dto';
export * from './domain-exception.filter';
export * from './openapi';
export * from './pagination.dto';
export * from './validation.pipe';
export * from './storable-input';
export * from './event-stream-slots';
