import { CliError } from '../cli-error';

export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) throw CliError.usage(`${name}: expected a whole number ≥ 1, got '${value}'`);
    return number;
  };
}

/** Appends a repeated option's values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
