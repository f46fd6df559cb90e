import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CliError } from '../cli-error';

export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON or YAML document from a file (`-` is stdin); a parse error names the file and the place. */
export function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw CliError.usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return /\.json$/i.test(file) ? JSON.parse(text) : parse(text);
  } catch (error) {
    throw CliError.usage(`${file}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/**
 * A state object from the command line: each argument is a JSON object, or `path=value` with a
 * dotted path (`network.wifi.ssid=lab`) and a value read as JSON when it parses (`5`, `true`,
 * `null`, `"text"`), else as text; `-f FILE` adds a JSON or YAML file first.
 */
export function stateFromArgs(args: string[], file?: string): JsonObject {
  const state: JsonObject = {};
  if (file) {
    const document = readDocument(file);
    if (!isObject(document)) throw CliError.usage(`${file}: must hold an object`);
    Object.assign(state, document);
  }
  for (const arg of args) {
    if (arg.trimStart().startsWith('{')) {
      let value: unknown;
      try {
        value = JSON.parse(arg);
      } catch (error) {
        throw CliError.usage(`'${arg}': ${(error as Error).message}`);
      }
      if (!isObject(value)) throw CliError.usage(`'${arg}': must be a JSON object`);
      Object.assign(state, value);
      continue;
    }
    const equals = arg.indexOf('=');
    if (equals <= 0) throw CliError.usage(`'${arg}': expected path=value or a JSON object`);
    const path = arg.slice(0, equals).split('.');
    if (path.some((part) => !part)) throw CliError.usage(`'${arg}': empty part in the path`);
    let target = state;
    for (const part of path.slice(0, -1)) target = isObject(target[part]) ? (target[part] as JsonObject) : (target[part] = {});
    target[path[path.length - 1]] = jsonOrText(arg.slice(equals + 1));
  }
  return state;
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The JSON merge patch (RFC 7396) that turns `from` into `to`: keys gone become null. */
export function mergePatchBetween(from: JsonObject, to: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    const before = from[key];
    if (isObject(before) && isObject(value)) {
      const inner = mergePatchBetween(before, value);
      if (Object.keys(inner).length) patch[key] = inner;
    } else if (JSON.stringify(before) !== JSON.stringify(value)) patch[key] = value;
  }
  return patch;
}
