// The checked-in vectors reproduce byte for byte, with both NaCl implementations, and open to the
// expected plaintext (test/vectors/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBundleFile, openLogs } from '../../../shared/bundle/index.js';
import { sodiumNacl } from '../../../shared/crypto/sodium.js';
import { tweetNacl } from '../../../shared/crypto/tweetnacl.js';
import { fingerprint } from '../../../shared/identity.js';
import { tempDir } from '../../support/bundle-fixture.js';
import { LOGS_VECTOR_FILES, VECTORS_DIR, bundleVectorInput, sealVectors, vectorIdentity } from '../../support/vectors.js';

interface VectorIndex {
  fingerprints: Record<string, string>;
  files: Record<string, { sha256: string; bytes: number; id?: string; checked_in: boolean }>;
}

const index = async (): Promise<VectorIndex> => JSON.parse(await readFile(join(VECTORS_DIR(), 'vectors.json'), 'utf8')) as VectorIndex;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

for (const crypto of [sodiumNacl, tweetNacl]) {
  test(`sealing the vectors again with ${crypto.name} gives the recorded bytes`, async (t) => {
    const expected = await index();
    const fresh = await sealVectors(await tempDir(t), crypto);
    for (const [name, meta] of Object.entries(expected.files)) {
      assert.equal(sha256(fresh[name]!), meta.sha256, `${name} no longer reproduces: the format changed`);
      if (meta.checked_in) assert.deepEqual(Buffer.from(fresh[name]!), await readFile(join(VECTORS_DIR(), name)));
    }
    for (const [party, fp] of Object.entries(expected.fingerprints)) assert.equal(fingerprint(vectorIdentity(party, crypto), crypto), fp);
  });
}

test('the checked-in bundle vector opens for both agents to the checked-in series', async (t) => {
  const dir = await tempDir(t);
  const input = await bundleVectorInput('two-trees');
  const maintainer = vectorIdentity('maintainer');
  const { files } = await index();
  for (const agent of ['agent-a', 'agent-b']) {
    const opened = await openBundleFile(join(VECTORS_DIR(), 'bundle-two-trees.sealed'), {
      identity: vectorIdentity(agent), trust: (p) => Buffer.from(p.signerKey).equals(Buffer.from(maintainer.signKey)), destination: join(dir, agent),
    });
    assert.equal(opened.parsed.bundleId, files['bundle-two-trees.sealed']!.id);
    assert.deepEqual(opened.parsed.header.workloads, ['smoke', 'kselftest-ring']);
    for (const [i, target] of input.targets.entries()) {
      assert.equal(opened.targets[i]!.tree, target.tree);
      for (const [j, patch] of target.patches.entries()) {
        assert.ok('content' in patch);
        assert.deepEqual(await readFile(opened.targets[i]!.patches[j]!), Buffer.from(patch.content));
      }
    }
  }
});

test('the checked-in logs vector opens for the maintainer', async () => {
  const agentA = vectorIdentity('agent-a');
  const opened = await openLogs(await readFile(join(VECTORS_DIR(), 'logs.sealed')), {
    identity: vectorIdentity('maintainer'), trust: (p) => Buffer.from(p.signerKey).equals(Buffer.from(agentA.signKey)),
  });
  assert.deepEqual(opened.files.map((f) => [f.name, f.content]), LOGS_VECTOR_FILES.map((f) => [f.name, f.content]));
});
