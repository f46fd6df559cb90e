import type { Client } from 'aedes';

/** The slice of mqtt-packet's parser (which aedes creates per client as `_parser`) that the limit hooks into. */
interface PacketParser {
  packet: { length: number };
  /** Set by aedes: the client the parser reads for. */
  client: Client;
  _parseLength(): boolean;
  _emitError(error: Error): void;
}

/**
 * aedes 1.x has no maximum packet size. MQTT 3.1.1 leaves it to the server (§2.2.3 allows a
 * Remaining Length up to 256 MB) and, having no reason code for it, the answer is to close
 * the connection. The check runs as soon as the Remaining Length is decoded, before any of
 * the payload is buffered, so an oversized packet costs at most a few bytes of memory.
 *
 * Returns what to apply to each new client. Every client shares the one wrapped
 * `_parseLength`: a closure per connection would cost ~200 bytes of each idle one (issue #3).
 */
export function packetSizeLimit(maxBytes: number, onTooLarge: (client: Client, length: number) => void): (client: Client) => void {
  let parseLength: PacketParser['_parseLength'] | undefined;
  function parseLengthWithLimit(this: PacketParser): boolean {
    const complete = parseLength!.call(this);
    if (complete && this.packet.length > maxBytes) {
      onTooLarge(this.client, this.packet.length);
      this._emitError(new Error(`packet of ${this.packet.length} bytes exceeds the maximum of ${maxBytes}`));
      return false;
    }
    return complete;
  }
  return (client) => {
    const parser = (client as unknown as { _parser?: PacketParser })._parser;
    if (!parser || parser.client !== client || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function') {
      throw new Error('aedes client has no mqtt-packet parser to limit; check the aedes version');
    }
    parseLength ??= parser._parseLength;
    parser._parseLength = parseLengthWithLimit;
  };
}
