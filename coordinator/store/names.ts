// What a party, group, embargo or tree name may be: short, printable, no separators of our lists.
import { StoreError } from './errors.js';

/** Letters, digits, '.', '_' and '-', starting with a letter or digit; at most 64 characters. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws NAME_INVALID naming the input and what it is for. */
export function checkName(value: string, what: string): string {
  if (!NAME_PATTERN.test(value)) {
    throw new StoreError('NAME_INVALID', `${what} '${value}' is not a valid name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return value;
}

/** Splits "a,b, c" into trimmed, non-empty, de-duplicated items. */
export function splitList(value: string): string[] {
  return [...new Set(value.split(',').map((item) => item.trim()).filter((item) => item.length > 0))];
}
