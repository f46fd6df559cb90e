import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { TAG_KEY_PATTERN, TAG_VALUE_MAX, parseTag } from '@edgefleet/contracts';

export const MAX_TAGS = 50;

/** Tags arrive as `{key: value}` or as a list of `key:value`; both become the object form. */
export const TagsInput = () =>
  Transform(({ value }) => {
    if (!Array.isArray(value)) return value;
    const parsed = value.map((entry) => (typeof entry === 'string' ? parseTag(entry) : null));
    if (parsed.some((tag) => tag === null)) return value;
    return Object.fromEntries(parsed.map((tag) => [tag!.key, tag!.value]));
  });

export function IsTags(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTags',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= MAX_TAGS &&
          Object.entries(value).every(([key, v]) => TAG_KEY_PATTERN.test(key) && typeof v === 'string' && v.length <= TAG_VALUE_MAX),
        defaultMessage: () =>
          `must be an object of at most ${MAX_TAGS} tags {key: value} (or a list of "key:value"), keys of letters, digits and _ . - /, values strings of up to ${TAG_VALUE_MAX} characters`,
      },
    },
    options,
  );
}

/** Query strings give one value or many for a repeated key; always an array here. */
export const ToStringArray = () => Transform(({ value }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]));

export function IsTagFilter(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTagFilter',
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.length <= MAX_TAGS && value.every((tag) => typeof tag === 'string' && parseTag(tag)),
        defaultMessage: () => 'must be key:value (repeat the parameter for several tags)',
      },
    },
    options,
  );
}
