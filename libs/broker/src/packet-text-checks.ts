import { isUtf8 } from 'node:buffer';
import type { Client } from 'aedes';
import { ConnackCode } from './connect-checks';

/** The parts of the mqtt-packet parser (`client._parser`) these checks wrap. */
interface ParserInternals {
  _list: { toString(encoding: 'utf8', start: number, end: number): string; slice(start: number, end: number): Buffer };
  _pos: number;
  packet: { cmd?: string };
  _parseString(maybeBuffer?: boolean): string | null;
  _emitError(error: Error): void;
  prependListener(event: 'error', listener: (error: Error) => void): void;
}

const parserOf = (client: Client) => (client as unknown as { _parser?: ParserInternals })._parser;
const conn = (client: Client) => (client as unknown as { conn: { write(chunk: Buffer): boolean; destroyed?: boolean } }).conn;

/** CONNACK with return code 0x01, unacceptable protocol version (MQTT 3.1.1 §3.2.2.3). */
const CONNACK_UNACCEPTABLE_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, ConnackCode.UnacceptableProtocolVersion]);

/**
 * MQTT 3.1.1 §1.5.3: a string that is not well-formed UTF-8 (surrogates included, [MQTT-1.5.3-1])
 * must close the connection, and one holding U+0000 may ([MQTT-1.5.3-2]). mqtt-packet decodes
 * strings leniently (bad bytes become U+FFFD), so a topic the device never sent would reach
 * the handlers. The bytes are checked only when the decoded string holds a U+FFFD, which every
 * bad sequence becomes. U+0000 closes the connection everywhere but in CONNECT, whose client
 * identifier is answered with a CONNACK by the connect checks instead (`clientIdIsDeviceId`).
 * A parser that does not look as expected is left alone.
 */
export function refuseMalformedStrings(client: Client): void {
  const parser = parserOf(client);
  if (!parser || typeof parser._parseString !== 'function' || typeof parser._emitError !== 'function') return;
  const parseString = parser._parseString;
  parser._parseString = function checkedParseString(this: ParserInternals, maybeBuffer?: boolean) {
    const start = this._pos;
    const result = parseString.call(this, maybeBuffer);
    if (typeof result !== 'string') return result;
    if (result.includes('\ufffd') && !isUtf8(this._list.slice(start + 2, this._pos))) {
      this._emitError(new Error('a string is not well-formed UTF-8 (MQTT 3.1.1 §1.5.3)'));
      return null;
    }
    if (result.includes('\u0000') && this.packet.cmd !== 'connect') {
      this._emitError(new Error('a string contains U+0000 (MQTT 3.1.1 §1.5.3)'));
      return null;
    }
    return result;
  };
}

/**
 * MQTT 3.1.1 §3.1.2.2 [MQTT-3.1.2-2]: a CONNECT with a protocol level the server does not
 * support is answered with CONNACK 0x01 and the connection closed. aedes does so for level 5,
 * but mqtt-packet refuses any level other than 3, 4 and 5 as a parse error, on which aedes
 * closes without a CONNACK; this writes it first.
 */
export function answerUnknownProtocolLevel(client: Client): void {
  const parser = parserOf(client);
  if (!parser || typeof parser.prependListener !== 'function') return;
  parser.prependListener('error', (error) => {
    if (error.message !== 'Invalid protocol version' || parser.packet.cmd !== 'connect') return;
    const stream = conn(client);
    if (!stream.destroyed) stream.write(CONNACK_UNACCEPTABLE_PROTOCOL);
  });
}
