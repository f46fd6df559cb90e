export * from './device-client';
export * from './device-handlers';
export * from './backoff';
export * from './json-state';
export * from './artifact-sink';
export * from './artifact-verifier';
export * from './signing-key';
export { downloadOverHttp, DownloadRefused, type FetchFunction } from './http-download';
export { parseJobDocument } from './job-document';
