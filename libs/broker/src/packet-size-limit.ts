import type { Client } from 'aedes';

/** The slice of mqtt-packet's parser (which aedes creates per client as `_parser`) that the limit hooks into. */
interface PacketParser {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(error: Error): void;
}

/**
 * aedes 1.x has no maximum packet size. MQTT 3.1.1 leaves it to the server (§2.2.3 allows a
 * Remaining Length up to 256 MB) and, having no reason code for it, the answer is to close
 * the connection. The check runs as soon as the Remaining Length is decoded, before any of
 * the payload is buffered, so an oversized packet costs at most a few bytes of memory.
 */
export function limitPacketSize(client: Client, maxBytes: number, onTooLarge: (length: number) => void): void {
  const parser = (client as unknown as { _parser?: PacketParser })._parser;
  if (!parser || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function') {
    throw new Error('aedes client has no mqtt-packet parser to limit; check the aedes version');
  }
  const parseLength = parser._parseLength;
  parser._parseLength = function parseLengthWithLimit(this: PacketParser): boolean {
    const complete = parseLength.call(this);
    if (complete && this.packet.length > maxBytes) {
      onTooLarge(this.packet.length);
      this._emitError(new Error(`packet of ${this.packet.length} bytes exceeds the maximum of ${maxBytes}`));
      return false;
    }
    return complete;
  };
}
