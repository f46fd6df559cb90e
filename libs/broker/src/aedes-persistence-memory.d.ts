/** The in-memory persistence class inside aedes-persistence (its package entry wraps it in a callback adapter). */
declare module 'aedes-persistence/asyncPersistence.js' {
  import type { Readable } from 'node:stream';

  export default class AsyncMemoryPersistence {
    constructor(options?: object);
    storeRetained(packet: { topic: string; payload: Buffer }): Promise<void>;
    createRetainedStream(pattern: string): Readable;
    createRetainedStreamCombi(patterns: string[]): Readable;
  }
}
