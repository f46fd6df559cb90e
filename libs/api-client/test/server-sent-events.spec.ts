import { serverSentEvents } from '../src/server-sent-events';

function stream(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe('server-sent events', () => {
  it('yields named events with their data, across chunk boundaries and CRLF line ends', async () => {
    const events = [];
    for await (const event of serverSentEvents(stream(': comment\n\nevent: progress\nda', 'ta: {"a":1}\n\n', 'event: progress\r\ndata: line1\r\ndata: line2\r\n\r\nevent: end\ndata: {}\n\n', 'event: partial'))) events.push(event);
    expect(events).toEqual([
      { event: 'progress', data: '{"a":1}' },
      { event: 'progress', data: 'line1\nline2' },
      { event: 'end', data: '{}' },
    ]);
  });
});
