/** One server-sent event (the WHATWG `text/event-stream` format): its name and its data lines joined. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/** The events of a `text/event-stream` body as they arrive (the CLI's watch and the console's live views); comments and `id:`/`retry:` fields are skipped. */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  // A reader rather than `for await`: async iteration of a ReadableStream is newer in browsers than in Node.
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length || event !== 'message') yield { event, data: data.join('\n') };
      }
    }
  } finally {
    // Stopped early (the consumer broke out) or ended: either way the connection is done with.
    reader.cancel().catch(() => undefined);
  }
}
