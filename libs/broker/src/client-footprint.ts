import type { Client } from 'aedes';

/** The parts of the mqtt-packet parser aedes keeps per client (`client._parser`) that are trimmed here. */
interface ParserInternals {
  _list?: { length: number; constructor: { BufferList?: new () => { length: number } } };
  settings?: { protocolVersion?: number; bridgeMode?: boolean };
}

const parserOf = (client: Client) => (client as unknown as { _parser?: ParserInternals })._parser;

/**
 * Issue #3 (memory per idle connection). mqtt-packet buffers a client's input in a `bl`
 * BufferListStream: a full Duplex with its own two stream states and emitter, ~1 KiB per
 * connection, of which the parser only ever calls append/consume/slice/toString/readUInt*.
 * The plain BufferList that `bl` builds the stream on (exported next to it) has exactly
 * those methods, at 80 bytes. Must run before the connection delivers any data; a parser
 * that does not look as expected is left alone (it costs memory, not correctness).
 */
export function useStreamlessParserBuffer(client: Client): void {
  const parser = parserOf(client);
  const BufferList = parser?._list?.constructor.BufferList;
  if (!parser || typeof BufferList !== 'function' || parser._list!.length !== 0) return;
  parser._list = new BufferList() as ParserInternals['_list'];
}

/**
 * The parser keeps the whole CONNECT as `settings` for the life of the connection, password
 * and all (~400 bytes per idle connection, issue #3, and a secret better not held). All it
 * reads from it afterwards is the protocol version and bridge flag (mqtt-packet parser.js),
 * so once the session is registered only those stay.
 */
export function forgetConnectPacket(client: Client): void {
  const parser = parserOf(client);
  if (!parser?.settings) return;
  const { protocolVersion, bridgeMode } = parser.settings;
  parser.settings = { protocolVersion, bridgeMode };
}
