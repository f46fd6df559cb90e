import type { JsonValue, TwinDocument } from '@edgefleet/contracts';

export function isDocument(value: JsonValue | undefined): value is TwinDocument {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values; object key order does not matter. */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
}

/** Size of a document as stored and sent: bytes of its UTF-8 JSON. */
export function jsonBytes(document: TwinDocument): number {
  return Buffer.byteLength(JSON.stringify(document));
}

/** Sets an own property even for keys like `__proto__`, which plain assignment would treat as the prototype. */
export function setOwn(target: TwinDocument, key: string, value: JsonValue): void {
  // `__proto__` is Object.prototype's only accessor; any other key assigns an own property.
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function ownValue(document: TwinDocument, key: string): JsonValue | undefined {
  return Object.hasOwn(document, key) ? document[key] : undefined;
}
