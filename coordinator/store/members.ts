// Who an embargo names: parties by name and whole groups as "@group"; pure, for the store and tests.
import { StoreError } from './errors.js';
import { NAME_PATTERN, splitList } from './names.js';

export interface Members {
  names: string[];
  groups: string[];
}

export interface Memberlike {
  name: string;
  groups: readonly string[];
  revokedAt: number | null;
}

/** Parses "alice,@amd-lab,bob" into names and groups; names the first bad entry. */
export function parseMembers(list: string, what: string): Members {
  const names: string[] = [];
  const groups: string[] = [];
  const items = splitList(list);
  if (items.length === 0) throw new StoreError('EMBARGO_INVALID', `The ${what} list is empty: name at least one party or @group`);
  for (const item of items) {
    const isGroup = item.startsWith('@');
    const name = isGroup ? item.slice(1) : item;
    if (!NAME_PATTERN.test(name)) {
      throw new StoreError('EMBARGO_INVALID', `The ${what} list has an invalid entry '${item}': use party names and @groups of letters, digits, '.', '_' or '-'`);
    }
    (isGroup ? groups : names).push(name);
  }
  return { names, groups };
}

/** "alice,@amd-lab": the form people type, for listings. */
export function formatMembers(members: Members): string {
  return [...members.names, ...members.groups.map((group) => `@${group}`)].join(',');
}

/** True when the party is named or belongs to a named group, and is not revoked. */
export function isMember(members: Members, party: Memberlike): boolean {
  if (party.revokedAt !== null) return false;
  return members.names.includes(party.name) || party.groups.some((group) => members.groups.includes(group));
}
