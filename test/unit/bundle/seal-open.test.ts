import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openBundle, openBundleFile, openLogs, readContainerFile, sealBundle, sealLogs, wrapForRecipients, readHeader, BundleError } from '../../../shared/bundle/index.js';
import { tweetNacl } from '../../../shared/crypto/tweetnacl.js';
import { bigPatch, makeParties, smallPatch, tempDir, trustOnly } from '../../support/bundle-fixture.js';

const signerOf = (identity: ReturnType<typeof makeParties>['maintainer']) => ({ name: 'alice', identity });

test('a bundle of two trees opens for each recipient, byte for byte, in private files', async (t) => {
  const dir = await tempDir(t);
  const p = makeParties();
  const big = bigPatch(3000);
  const sealed = await sealBundle({
    embargo: 'CVE-2026-0001',
    signer: signerOf(p.maintainer),
    targets: [
      { tree: 'linux', base: 'v6.1', patches: [{ name: '0001-ring-fix.patch', content: smallPatch() }, { name: '0002-table.patch', content: big }] },
      { tree: 'linux-5.15.y', base: 'v5.15.100', patches: [{ name: '0001-ring-fix.patch', content: smallPatch('backport') }] },
    ],
    workloads: ['kselftest-net'],
    logRecipients: [{ name: 'alice', boxKey: p.maintainer.boxKey }],
    recipients: [p.agentA.boxKey, p.agentB.boxKey],
    description: 'ring buffer overflow',
  }, { path: join(dir, 'b.sealed') });
  assert.match(sealed.bundleId, /^[0-9a-f]{32}$/);
  assert.equal((await stat(sealed.path)).mode & 0o777, 0o600);
  assert.equal((await stat(sealed.path)).size, sealed.payloadOffset + sealed.payloadCiphertextBytes);

  for (const [name, agent] of [['a', p.agentA], ['b', p.agentB]] as const) {
    const opened = await openBundleFile(sealed.path, { identity: agent, trust: trustOnly(p.maintainer), destination: join(dir, `open-${name}`) });
    assert.equal(opened.parsed.bundleId, sealed.bundleId);
    assert.deepEqual(opened.parsed.header.workloads, ['kselftest-net']);
    assert.equal(opened.manifest.description, 'ring buffer overflow');
    assert.deepEqual(opened.targets.map((x) => [x.tree, x.base, x.patches.length]), [['linux', 'v6.1', 2], ['linux-5.15.y', 'v5.15.100', 1]]);
    assert.deepEqual(await readFile(opened.targets[0]!.patches[1]!), Buffer.from(big));
    assert.deepEqual(await readFile(opened.targets[1]!.patches[0]!), Buffer.from(smallPatch('backport')));
    assert.equal((await stat(opened.directory)).mode & 0o777, 0o700);
    assert.equal((await stat(opened.targets[0]!.patches[0]!)).mode & 0o777, 0o600);
  }
});

test('the portable tweetnacl implementation opens what libsodium sealed', async (t) => {
  const dir = await tempDir(t);
  const p = makeParties();
  const sealed = await sealBundle({
    embargo: 'E', signer: signerOf(p.maintainer), logRecipients: [], recipients: [p.agentA.boxKey],
    targets: [{ tree: 'linux', base: 'main', patches: [{ name: '0001-x.patch', content: bigPatch(1500) }] }],
  }, { path: join(dir, 'b.sealed') });
  const opened = await openBundleFile(sealed.path, { identity: p.agentA, trust: trustOnly(p.maintainer), destination: join(dir, 'out'), crypto: tweetNacl });
  assert.deepEqual(await readFile(opened.targets[0]!.patches[0]!), Buffer.from(bigPatch(1500)));
});

test('rewrap adds a recipient without touching the header, the payload or the bundle id', async (t) => {
  const dir = await tempDir(t);
  const p = makeParties();
  const sealed = await sealBundle({
    embargo: 'E', signer: signerOf(p.maintainer), logRecipients: [], recipients: [p.agentA.boxKey],
    targets: [{ tree: 'linux', base: 'main', patches: [{ name: '0001-x.patch', content: smallPatch() }] }],
  }, { path: join(dir, 'b.sealed') });
  const prefix = await readContainerFile(sealed.path);
  const payload = { path: sealed.path, offset: prefix.payloadOffset };
  await assert.rejects(
    openBundle({ signedHeader: prefix.signedHeaderBytes, stanzas: prefix.stanzas, payload }, { identity: p.agentB, trust: trustOnly(p.maintainer), destination: join(dir, 'before') }),
    (error: BundleError) => error.code === 'NOT_FOR_ME',
  );
  const parsed = readHeader(prefix.signedHeaderBytes);
  const [stanzaB] = wrapForRecipients(sealed.contentKey, parsed, [p.agentB.boxKey], p.maintainer);
  const opened = await openBundle({ signedHeader: prefix.signedHeaderBytes, stanzas: [stanzaB!], payload }, { identity: p.agentB, trust: trustOnly(p.maintainer), destination: join(dir, 'after') });
  assert.equal(opened.parsed.bundleId, sealed.bundleId);
  assert.deepEqual(await readFile(opened.targets[0]!.patches[0]!), Buffer.from(smallPatch()));
  assert.throws(() => wrapForRecipients(sealed.contentKey, parsed, [p.agentB.boxKey], p.otherMaintainer), /only its signer/);
});

test('logs are sealed by the agent to the maintainers, and open for them only', async () => {
  const p = makeParties();
  const container = await sealLogs({
    embargo: 'E', signer: { name: 'lab-1', identity: p.agentA }, jobId: 'job-42',
    recipients: [{ name: 'alice', boxKey: p.maintainer.boxKey }],
    files: [{ name: 'build.log', content: Buffer.from('CC lib/ring.o\n') }, { name: 'workload:smoke.log', content: Buffer.from('ok 1 - ring\n') }],
  });
  const opened = await openLogs(container, { identity: p.maintainer, trust: trustOnly(p.agentA) });
  assert.equal(opened.parsed.header.subjectId, 'job-42');
  assert.deepEqual(opened.files.map((f) => [f.name, f.content.toString()]), [['build.log', 'CC lib/ring.o\n'], ['workload:smoke.log', 'ok 1 - ring\n']]);
  await assert.rejects(openLogs(container, { identity: p.agentB, trust: trustOnly(p.agentA) }), (error: BundleError) => error.code === 'NOT_FOR_ME');
  await assert.rejects(openLogs(container, { identity: p.maintainer, trust: trustOnly(p.agentB) }), (error: BundleError) => error.code === 'UNTRUSTED_SIGNER');
});
