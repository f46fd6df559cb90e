/** Tags are `key:value` pairs; the key may not contain ':' and neither part may be empty. */
export const TAG_KEY_PATTERN = /^[A-Za-z0-9_.\-/]{1,64}$/;
export const TAG_VALUE_MAX = 256;

export type Tags = Record<string, string>;

export function formatTag(key: string, value: string): string {
  return `${key}:${value}`;
}

/** Parses `key:value`; returns null for anything else. */
export function parseTag(tag: string): { key: string; value: string } | null {
  const colon = tag.indexOf(':');
  if (colon <= 0 || colon === tag.length - 1) return null;
  const key = tag.slice(0, colon);
  const value = tag.slice(colon + 1);
  if (!TAG_KEY_PATTERN.test(key) || value.length > TAG_VALUE_MAX) return null;
  return { key, value };
}

export function tagsToList(tags: Tags): string[] {
  return Object.entries(tags)
    .map(([key, value]) => formatTag(key, value))
    .sort();
}

export function tagsFromList(list: readonly string[]): Tags {
  const tags: Tags = {};
  for (const entry of list) {
    const tag = parseTag(entry);
    if (tag) tags[tag.key] = tag.value;
  }
  return tags;
}
