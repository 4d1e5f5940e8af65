// Seeded mutation fuzzing for the wire decoders: a small PRNG (so a seed replays the same inputs),
// and mutators over valid protobuf messages: bit flips, truncations, extensions, field swaps and
// renumberings, and plain random bytes.
import protobuf from 'protobufjs/minimal.js';

/** The environment variable that replays a run: DARKROOM_FUZZ_SEED=1234 npm run test:faults. */
export const FUZZ_SEED_ENV = 'DARKROOM_FUZZ_SEED';

/** mulberry32: tiny, fast, and the same sequence for the same seed everywhere. */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let x = this.#state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** The seed of this run: from the environment when replaying, fresh otherwise. */
export function fuzzSeed(): number {
  const given = process.env[FUZZ_SEED_ENV];
  return given ? Number(given) >>> 0 : Math.floor(Math.random() * 2 ** 32);
}

interface Field {
  start: number;
  end: number;
  tag: number;
}

/** The top-level fields of a protobuf message, or null when the bytes do not split into fields. */
function fields(bytes: Uint8Array): Field[] | null {
  const reader = protobuf.Reader.create(bytes);
  const found: Field[] = [];
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = reader.uint32();
      reader.skipType(tag & 7);
      found.push({ start, end: reader.pos, tag });
    }
  } catch {
    return null;
  }
  return found;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Uint8Array.from(out);
}

export type Mutation = 'bit-flip' | 'truncate' | 'extend' | 'swap-fields' | 'renumber-field' | 'random';

export const MUTATIONS: readonly Mutation[] = ['bit-flip', 'truncate', 'extend', 'swap-fields', 'renumber-field', 'random'];

/** One mutant of `valid`; field mutations fall back to a bit flip on bytes that do not split. */
export function mutate(valid: Uint8Array, how: Mutation, rng: Prng): Uint8Array {
  const copy = Uint8Array.from(valid);
  switch (how) {
    case 'bit-flip': {
      for (let flips = 1 + rng.int(4); flips > 0 && copy.length > 0; flips--) copy[rng.int(copy.length)]! ^= 1 << rng.int(8);
      return copy;
    }
    case 'truncate':
      return copy.subarray(0, rng.int(copy.length));
    case 'extend':
      return concat([copy, rng.bytes(1 + rng.int(64))]);
    case 'random':
      return rng.bytes(rng.int(512));
    case 'swap-fields':
    case 'renumber-field': {
      const split = fields(copy);
      if (!split || split.length < 2) return mutate(valid, 'bit-flip', rng);
      const i = rng.int(split.length);
      const j = (i + 1 + rng.int(split.length - 1)) % split.length;
      const parts: Uint8Array[] = split.map((f) => copy.subarray(f.start, f.end));
      if (how === 'swap-fields') {
        [parts[i], parts[j]] = [parts[j]!, parts[i]!];
        return concat(parts);
      }
      const field = split[i]!;
      const body = copy.subarray(field.start + varint(field.tag).length, field.end);
      parts[i] = concat([varint((split[j]!.tag & ~7) | (field.tag & 7)), body]);
      return concat(parts);
    }
  }
}

/** The bytes a decoded value holds in its byte fields: a decoder must never hold more than it read. */
export function bytesHeld(value: unknown, seen = new Set<unknown>()): number {
  if (value instanceof Uint8Array) return value.length;
  if (value === null || typeof value !== 'object' || seen.has(value)) return 0;
  seen.add(value);
  return Object.values(value).reduce<number>((n, item) => n + bytesHeld(item, seen), 0);
}
