export * from './console-files';
export * from './web-console';
