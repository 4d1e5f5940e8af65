// The coordinator over real sockets: enrolment tokens (THREAT 8), unknown keys, revocation while
// connected (THREAT 9), dispatch of a sealed bundle, and signed results (THREAT 6).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { payloadPath } from '../../coordinator/store/bundles.js';
import { readContainerFile, sealBundle, type SealedBundleFile } from '../../shared/bundle/index.js';
import { generateIdentity, type Identity } from '../../shared/identity.js';
import { signResult } from '../../shared/result.js';
import type { WireError } from '../../shared/wire/errors.js';
import type { Channel } from '../../transport/channel.js';
import { smallPatch, tempDir } from '../support/bundle-fixture.js';
import { connectAs, declaration, enrol, issueToken, startLab, type Lab } from '../support/coordinator-lab.js';

const code = (expected: string) => (error: WireError) => {
  assert.equal(error.code, expected, error.message);
  return true;
};

test('a token enrols once; reused, unknown or expired tokens are refused', async (t) => {
  const lab = await startLab(t);
  const token = issueToken(lab, 'agent', 'lab-1', ['amd']);
  const { result } = await enrol(lab, 'agent', token, declaration(['linux']));
  assert.equal(result.name, 'lab-1');
  assert.deepEqual(result.groups, ['amd']);
  await assert.rejects(enrol(lab, 'agent', token, declaration(['linux'])), code('TOKEN_USED'));
  await assert.rejects(enrol(lab, 'agent', `drt1_${'A'.repeat(27)}`, declaration(['linux'])), code('TOKEN_UNKNOWN'));
  const expiring = lab.admin((store) => store.write(() => store.tokens.issue({ role: 'agent', name: 'lab-2', groups: [], ttlMs: 1 }, Date.now() - 10_000)).token);
  await assert.rejects(enrol(lab, 'agent', expiring, declaration(['linux'])), code('TOKEN_EXPIRED'));
  const audit = lab.admin((store) => [...store.audit.rows()].map((row) => row.action));
  assert.ok(audit.includes('party.enrolled'));
});

test('an unenrolled key is refused at connect', async (t) => {
  const lab = await startLab(t);
  await assert.rejects(connectAs(lab, generateIdentity(), 'agent'), code('UNKNOWN_PARTY'));
});

test('a client pinning another coordinator refuses to talk to this one', async (t) => {
  const lab = await startLab(t);
  const impostorPin = { ...lab, coordinator: { ...lab.coordinator, fingerprint: 'DR1:AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA' } };
  await assert.rejects(connectAs(impostorPin, generateIdentity(), 'agent'), code('HANDSHAKE_FAILED'));
});

test('revoking a connected agent closes its connection within a second', async (t) => {
  const lab = await startLab(t);
  const { identity } = await enrol(lab, 'agent', issueToken(lab, 'agent', 'lab-1'), declaration(['linux']));
  const { channel } = await connectAs(lab, identity, 'agent');
  const closed = new Promise<number>((resolve) => channel.onClose((close) => resolve(close.code)));
  const started = Date.now();
  lab.admin((store) => store.revoke('lab-1', { actor: 'admin:test', now: Date.now() }));
  assert.equal(await closed, 4000 + darkroom.v1.ErrorCode.REVOKED);
  assert.ok(Date.now() - started < 1_500, `closed after ${Date.now() - started} ms`);
  await assert.rejects(connectAs(lab, identity, 'agent'), code('REVOKED'));
});

interface Dispatched {
  lab: Lab;
  agent: Identity;
  channel: Channel;
  offer: darkroom.v1.JobOffer;
  sealed: SealedBundleFile;
}

/** An embargo, a maintainer, an agent, and a bundle for it accepted by the store: the agent is offered the job. */
async function dispatchOne(t: TestContext): Promise<Dispatched> {
  const lab = await startLab(t);
  const agent = (await enrol(lab, 'agent', issueToken(lab, 'agent', 'lab-1', ['amd']), declaration(['linux']))).identity;
  const maintainer = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'alice'))).identity;
  lab.admin((store) => store.write(() => store.embargoes.create({ name: 'CVE-1', testers: '@amd', maintainers: 'alice', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin:test', now: Date.now() })));
  const sealed = await sealBundle({
    embargo: 'CVE-1', signer: { name: 'alice', identity: maintainer }, logRecipients: [{ name: 'alice', boxKey: maintainer.boxKey }], recipients: [agent.boxKey],
    targets: [{ tree: 'linux', base: 'v6.1', patches: [{ name: '0001-fix.patch', content: smallPatch() }] }],
  }, { path: join(await tempDir(t), 'b.sealed') });
  const prefix = await readContainerFile(sealed.path);
  const { channel } = await connectAs(lab, agent, 'agent');
  t.after(() => channel.close());
  const offers: darkroom.v1.JobOffer[] = [];
  channel.handle((envelope) => {
    if (envelope.jobOffer) offers.push(envelope.jobOffer as darkroom.v1.JobOffer);
  });
  channel.send({ declaration: declaration(['linux']) });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(offers.length, 0, 'no bundle yet, no offer');
  // Write the payload file as an upload would, then accept the bundle from another connection.
  lab.admin((store) => {
    const submitter = store.parties.byName('alice')!;
    store.bundles.create({ id: sealed.bundleId, embargo: 'CVE-1', submitter, header: prefix.signedHeaderBytes, trees: ['linux'], workloads: [], payloadBytes: sealed.payloadCiphertextBytes, stanzas: [{ recipient: 'lab-1', stanza: prefix.stanzas[0]! }] }, Date.now());
  });
  await writeFile(payloadPath(lab.dataDir, sealed.bundleId), (await readFile(sealed.path)).subarray(sealed.payloadOffset));
  lab.admin((store) => {
    store.bundles.recordReceived(sealed.bundleId, sealed.payloadCiphertextBytes);
    store.bundles.accept(sealed.bundleId, Date.now());
  });
  const deadline = Date.now() + 2_000;
  while (offers.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(offers.length, 1, 'the agent is offered its job within the change-poll interval');
  return { lab, agent, channel, offer: offers[0]!, sealed };
}

test('an accepted bundle is offered at once, with the maintainers the agent must trust, and its payload is served', async (t) => {
  const { offer, channel, sealed } = await dispatchOne(t);
  assert.equal(offer.bundleId, sealed.bundleId);
  assert.equal(offer.tree, 'linux');
  assert.deepEqual(offer.maintainers.map((m) => m.name), ['alice']);
  assert.equal(Number(offer.payloadBytes), sealed.payloadCiphertextBytes);
  channel.send({ jobAccept: { jobId: offer.jobId, attempt: offer.attempt } });
  const chunk = await channel.request({ bundleRequest: { bundleId: offer.bundleId, offset: 0, maxBytes: 1 << 20 } });
  assert.equal(chunk.bundleChunk!.data!.length, sealed.payloadCiphertextBytes);
  assert.equal(chunk.bundleChunk!.last, true);
  await assert.rejects(channel.request({ bundleRequest: { bundleId: 'f'.repeat(32), offset: 0, maxBytes: 10 } }), code('NOT_AUTHORIZED'));
});

function resultFor(offer: darkroom.v1.JobOffer, agent: Identity, overrides: Partial<darkroom.v1.Result.$Properties> = {}) {
  return signResult({
    version: 1, jobId: offer.jobId, attempt: offer.attempt, bundleId: offer.bundleId, agentName: 'lab-1', agentSignKey: agent.signKey, tree: 'linux',
    hardwareClass: 'x86_64/AMD/EPYC-7763', status: darkroom.v1.Status.PASS, startedAtMs: 1, finishedAtMs: 2,
    stages: [{ name: 'apply', status: darkroom.v1.Status.PASS }, { name: 'build', status: darkroom.v1.Status.PASS }],
    ...overrides,
  }, agent);
}

test('a signed result is acknowledged and counted once; forged, moved and replayed results are not', async (t) => {
  const { lab, offer, channel, agent } = await dispatchOne(t);
  channel.send({ jobAccept: { jobId: offer.jobId, attempt: offer.attempt } });
  const good = resultFor(offer, agent);
  const signed = darkroom.v1.SignedResult.decode(good.bytes);
  const forged = resultFor(offer, generateIdentity());
  await assert.rejects(channel.request({ resultSubmit: { signed: darkroom.v1.SignedResult.decode(forged.bytes) } }), code('RESULT_REJECTED'));
  const moved = resultFor(offer, agent, { bundleId: 'e'.repeat(32) });
  await assert.rejects(channel.request({ resultSubmit: { signed: darkroom.v1.SignedResult.decode(moved.bytes) } }), code('RESULT_REJECTED'));
  const ack = await channel.request({ resultSubmit: { signed } });
  assert.equal(ack.resultAck!.resultId, good.resultId);
  assert.equal(ack.resultAck!.duplicate, false);
  const again = await channel.request({ resultSubmit: { signed } });
  assert.equal(again.resultAck!.duplicate, true);
  const stored = lab.admin((store) => store.results.byBundle(offer.bundleId));
  assert.equal(stored.length, 1, 'counted exactly once');
  assert.equal(lab.admin((store) => store.jobs.get(offer.jobId)!.state), 'done');
});

test('withdrawing the embargo cancels the running job on the agent at once', async (t) => {
  const { lab, offer, channel } = await dispatchOne(t);
  channel.send({ jobAccept: { jobId: offer.jobId, attempt: offer.attempt } });
  await channel.request({ heartbeat: { sentAtMs: Date.now(), runningJobIds: [offer.jobId] } });
  const cancels: darkroom.v1.Cancel[] = [];
  channel.handle((envelope) => {
    if (envelope.cancel) cancels.push(envelope.cancel as darkroom.v1.Cancel);
  });
  lab.admin((store) => store.withdrawEmbargo('CVE-1', { actor: 'admin:test', now: Date.now() }));
  const deadline = Date.now() + 2_000;
  while (cancels.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(cancels[0]?.jobId, offer.jobId);
  assert.match(cancels[0]?.reason ?? '', /withdrawn/);
});
