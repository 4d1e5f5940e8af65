// Shaping replies to maintainers: parties as wire recipients, and lists cut to fit one frame.
import { darkroom } from '../../proto/darkroom.js';
import { MAX_FRAME_BYTES } from '../../shared/wire/frame.js';
import type { Party } from '../store/parties.js';

/** Room left in a frame for the envelope around a packed list (ids, names, field tags). */
export const REPLY_OVERHEAD_BYTES = 64 * 1024;

/** A party as a recipient list names it: keys, fingerprint and, for agents, what they declared. */
export function recipientOf(party: Party): darkroom.v1.Recipient.$Properties {
  return {
    name: party.name,
    role: party.role === 'agent' ? darkroom.v1.Role.ROLE_AGENT : darkroom.v1.Role.ROLE_MAINTAINER,
    signKey: party.signKey,
    boxKey: party.boxKey,
    fingerprint: party.fingerprint,
    hardwareClass: party.declaration?.hardwareClass ?? '',
    trees: party.declaration?.trees ?? [],
    workloads: party.declaration?.workloads.map((workload) => workload.name) ?? [],
  };
}

/** The leading items whose sizes fit one frame, and how many were left out. */
export function packWithin<T>(items: readonly T[], sizeOf: (item: T) => number, budget = MAX_FRAME_BYTES - REPLY_OVERHEAD_BYTES): { items: T[]; left: number } {
  const packed: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = sizeOf(item) + 32;
    if (used + size > budget) break;
    packed.push(item);
    used += size;
  }
  return { items: packed, left: items.length - packed.length };
}
