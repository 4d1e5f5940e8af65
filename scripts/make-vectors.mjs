// Regenerates test/vectors/ after a deliberate format change: seals every vector with its fixed
// keys and random stream, and records each file's SHA-256. Run `npm run build` first.
import { createHash } from 'node:crypto';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VECTORS_DIR, sealVectors, vectorIdentity } from '../dist/test/support/vectors.js';
import { fingerprint } from '../dist/shared/identity.js';
import { readContainerFile, readHeader } from '../dist/shared/bundle/index.js';

const dir = VECTORS_DIR();
const sealed = await sealVectors(dir);
// The multi-chunk vector is kept as its digest only (it is 170 KB); the test seals it again.
await rm(join(dir, 'bundle-multi-chunk.sealed'));
const files = {};
for (const [name, bytes] of Object.entries(sealed)) {
  const prefix = await readContainerFile(join(dir, name)).catch(() => null);
  files[name] = {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    ...(prefix ? { id: readHeader(prefix.signedHeaderBytes).bundleId } : {}),
    checked_in: prefix !== null,
  };
}
const parties = Object.fromEntries(['maintainer', 'agent-a', 'agent-b'].map((n) => [n, fingerprint(vectorIdentity(n))]));
await writeFile(join(dir, 'vectors.json'), `${JSON.stringify({ format: 1, fingerprints: parties, files }, null, 2)}\n`);
console.log(`wrote ${Object.keys(files).length} vectors to ${dir}`);
