// The crypto entry point: the fast implementation by default, the portable one on request.
import type { Nacl } from './nacl.js';
import { sodiumNacl } from './sodium.js';

export * from './nacl.js';
export * from './labels.js';

/** The NaCl implementation every hot path uses. */
export const nacl: Nacl = sodiumNacl;
