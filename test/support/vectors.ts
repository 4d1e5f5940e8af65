// The sealed-envelope test vectors: fixed keys, a fixed "random" stream and fixed inputs, so that
// sealing them again must give the checked-in bytes exactly (test/vectors/README.md).
import { mkdir, readFile, readdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { nacl as defaultNacl, type Nacl } from '../../shared/crypto/index.js';
import { identityFromSecrets, type Identity } from '../../shared/identity.js';
import { sealBundle, sealLogs, type SealBundleInput } from '../../shared/bundle/index.js';
import { bigPatch } from './bundle-fixture.js';
import { REPO_ROOT } from './paths.js';

export const VECTORS_DIR = () => join(REPO_ROOT, 'test', 'vectors');
export const VECTOR_TIME_MS = 1_790_000_000_000;

const digest = (crypto: Nacl, text: string) => crypto.sha512(Buffer.from(text));

/** A deterministic identity from a name: Ed25519 seed and X25519 secret from SHA-512 of labels. */
export function vectorIdentity(name: string, crypto: Nacl = defaultNacl): Identity {
  const sign = crypto.signKeyPairFromSeed(digest(crypto, `darkroom vector ${name} sign`).slice(0, 32));
  return identityFromSecrets(sign.secretKey, digest(crypto, `darkroom vector ${name} box`).slice(0, 32), crypto);
}

/** A fixed byte stream standing in for the CSPRNG: SHA-512(label ‖ counter) blocks. */
export function vectorRandom(label: string, crypto: Nacl = defaultNacl): (length: number) => Uint8Array {
  let counter = 0;
  return (length) => {
    const out = Buffer.alloc(length);
    for (let filled = 0; filled < length; filled += 64) {
      Buffer.from(digest(crypto, `${label}/${counter++}`)).copy(out, filled, 0, Math.min(64, length - filled));
    }
    return out;
  };
}

async function seriesFiles(dir: string): Promise<{ name: string; content: Uint8Array }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.patch')).sort();
  return Promise.all(names.map(async (name) => ({ name, content: await readFile(join(dir, name)) })));
}

/** The inputs of each bundle vector; `two-trees` reads its series from test/vectors/. */
export async function bundleVectorInput(name: 'two-trees' | 'multi-chunk', crypto: Nacl = defaultNacl): Promise<SealBundleInput> {
  const maintainer = vectorIdentity('maintainer', crypto);
  const common = {
    embargo: 'CVE-2026-12345',
    signer: { name: 'Alice Maintainer', identity: maintainer },
    logRecipients: [{ name: 'Alice Maintainer', boxKey: maintainer.boxKey }],
    recipients: [vectorIdentity('agent-a', crypto).boxKey, vectorIdentity('agent-b', crypto).boxKey],
  };
  if (name === 'multi-chunk') {
    return { ...common, targets: [{ tree: 'linux', base: 'v6.1', patches: [{ name: '0001-add-a-table.patch', content: bigPatch(2500) }] }] };
  }
  const series = join(VECTORS_DIR(), 'series');
  return {
    ...common,
    description: 'ring: fix an off-by-one in ring_put (two trees)',
    workloads: ['smoke', 'kselftest-ring'],
    targets: [
      { tree: 'linux', base: 'v6.1', patches: await seriesFiles(join(series, 'linux')) },
      { tree: 'linux-5.15.y', base: 'v5.15.100', patches: await seriesFiles(join(series, 'linux-5.15.y')) },
    ],
  };
}

export const LOGS_VECTOR_FILES = [
  { name: 'build.log', content: Buffer.from('  CC      lib/ring.o\n  LD      ring-test\n') },
  { name: 'workload:smoke.log', content: Buffer.from('TAP version 13\n1..2\nok 1 - put\nok 2 - get\n') },
];

/** Seals every vector again into `dir`; the test compares the result with the checked-in files. */
export async function sealVectors(dir: string, crypto: Nacl = defaultNacl): Promise<Record<string, Uint8Array>> {
  await mkdir(dir, { recursive: true });
  const out: Record<string, Uint8Array> = {};
  for (const name of ['two-trees', 'multi-chunk'] as const) {
    const path = join(dir, `bundle-${name}.sealed`);
    await rm(path, { force: true });
    await sealBundle(await bundleVectorInput(name, crypto), { path, crypto, random: vectorRandom(`bundle-${name}`, crypto), nowMs: VECTOR_TIME_MS });
    out[`bundle-${name}.sealed`] = await readFile(path);
  }
  out['logs.sealed'] = await sealLogs({
    embargo: 'CVE-2026-12345', signer: { name: 'lab-a', identity: vectorIdentity('agent-a', crypto) }, jobId: 'job-1',
    recipients: [{ name: 'Alice Maintainer', boxKey: vectorIdentity('maintainer', crypto).boxKey }], files: LOGS_VECTOR_FILES,
  }, { crypto, random: vectorRandom('logs', crypto), nowMs: VECTOR_TIME_MS });
  await writeFile(join(dir, 'logs.sealed'), out['logs.sealed']);
  return out;
}
