// A hostile coordinator against real agent processes (THREAT-MODEL 21 and 25): it has an agent
// offered a bundle signed by a key the tester did not pin (a maintainer its operator enrolled, or
// its own key behind a doctored offer), and it has testers enrol with another party's box key or
// signing key. Each is refused on the client's side or by the keys' proofs, with a clear message,
// nothing fetched or written, and the audit chain intact.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { assertAuditIntact } from '../../coordinator/admin/audit.js';
import type { Store } from '../../coordinator/store/store.js';
import { DEMO_SERIES_DIR, readSeriesBase } from '../../maintainer/demo/project.js';
import { fingerprint, generateIdentity, readIdentity, type Identity } from '../../shared/identity.js';
import { verifySignedResultBytes } from '../../shared/result.js';
import { statusFromProto } from '../../shared/status.js';
import { decodeEnvelope, encodeEnvelope } from '../../shared/wire/frame.js';
import type { Channel } from '../../transport/channel.js';
import { runCli, writeAgentConfig, type AgentSetup } from '../support/agent-process.js';
import { AGENT, FAULT_TEST_TIMEOUT_MS, connected, demoPatchLines, filesHolding, rig, start, type Rig } from '../support/agent-rig.js';
import { tempDir } from '../support/bundle-fixture.js';
import { connectAs, declaration, issueToken, type LabAddress } from '../support/coordinator-lab.js';
import { startCoordinatorProcess } from '../support/coordinator-process.js';
import { submitDemo, until } from '../support/demo-job.js';

const STAGES = { apply: 'ERROR', build: 'SKIP', boot: 'SKIP', 'workload:unit': 'SKIP', 'workload:stress': 'SKIP' };

/** The hostile coordinator notes every payload request an agent makes, by bundle id. */
function payloadRequests(r: Rig): string[] {
  const requested: string[] = [];
  const store = r.lab.coordinator.hub.store;
  const holdsOpenJob = store.jobs.holdsOpenJob.bind(store.jobs);
  store.jobs.holdsOpenJob = (agentId, bundleId) => {
    requested.push(bundleId);
    return holdsOpenJob(agentId, bundleId);
  };
  return requested;
}

/**
 * Waits until every attempt of the bundle's one job has ended; checks each signed result is an
 * apply ERROR whose reason names `signer`, that nothing was fetched or left with series text, and
 * that the audit chain holds.
 */
async function assertRefusedEverywhere(r: Rig, bundleId: string, signer: string, requested: readonly string[]): Promise<void> {
  const job = await until('the job to end', () => r.lab.admin((store) => store.jobs.byBundle(bundleId).find((j) => j.state === 'done')), 90_000);
  assert.equal(job.status, 'ERROR', 'a refused bundle is an infrastructure ERROR, never a FAIL of the series');
  const agentKey = r.lab.admin((store) => store.parties.byName(AGENT)!.signKey);
  const results = r.lab.admin((store) => store.results.byBundle(bundleId));
  assert.ok(results.length >= 1);
  for (const stored of results) {
    const { result } = verifySignedResultBytes(stored.signed, agentKey);
    assert.deepEqual(Object.fromEntries(result.stages.map((s) => [s.name, statusFromProto(s.status!)])), STAGES);
    const reason = result.stages[0]!.reason!;
    assert.ok(reason.includes(`${signer}, a maintainer this agent does not trust`), `the reason names the signer's fingerprint: ${reason}`);
    assert.match(reason, /refused before fetching it/);
    assert.equal(result.sealedLogs.length, 0, 'no log is sealed to recipients the untrusted signer chose');
  }
  assert.deepEqual(requested.filter((id) => id === bundleId), [], 'not a byte of the payload was requested');
  assert.deepEqual(await filesHolding(r.setup.dir, await demoPatchLines()), [], 'no line of the series reached the agent');
  assert.equal(r.lab.admin((store) => assertAuditIntact(store)).problem, null);
}

test('the operator enrols a maintainer of its own into an embargo and submits with the normal client: the agent refuses it before fetching, naming its fingerprint', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const r = await rig(t, { stages: { build: 'make' } });
  const requested = payloadRequests(r);
  start(r);
  await connected(r);
  const data = ['--data', r.lab.dataDir];
  const token = await cli(['coordinator', 'token', ...data, '--role', 'maintainer', '--name', 'mallory', '--contact', 'Mallory <mallory@example.org>']);
  const home = join(r.setup.dir, 'mallory');
  await cli(['enroll', '--home', home, '--coordinator', r.lab.coordinator.url, '--fingerprint', r.lab.coordinator.fingerprint, '--token', token.trim()]);
  await cli(['coordinator', 'embargo', 'create', ...data, '--name', 'CVE-OPERATOR', '--testers', '@demo', '--maintainers', 'alice,mallory', '--until', new Date(Date.now() + 86_400_000).toISOString()]);
  // The operator knows its agents' fingerprints from its own store, so its maintainer approves them.
  for (const agent of r.lab.admin((store) => store.parties.list('agent'))) await cli(['trust', 'agent', agent.name, '--fingerprint', agent.fingerprint, '--home', home]);
  const submitted = await cli(['submit', '--home', home, '--embargo', 'CVE-OPERATOR', '--tree', `ringbuf=${await readSeriesBase(DEMO_SERIES_DIR)}`, '--series', DEMO_SERIES_DIR]);
  const bundleId = /([0-9a-f]{32})/.exec(submitted)?.[1];
  assert.ok(bundleId, submitted);
  await assertRefusedEverywhere(r, bundleId, fingerprint(await readIdentity(home)), requested);
});

test('a coordinator signs a bundle with its own key and doctors the offer to list that key as the maintainer: refused before fetching, naming the fingerprint', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const r = await rig(t, { stages: { build: 'make' } });
  const requested = payloadRequests(r);
  start(r);
  await connected(r);
  const own = await readIdentity(r.lab.dataDir);
  for (const connection of r.lab.coordinator.hub.registry.connections(AGENT)) doctorOffers(connection.channel, { name: 'alice', role: darkroom.v1.Role.ROLE_MAINTAINER, signKey: own.signKey, boxKey: own.boxKey, fingerprint: fingerprint(r.maintainer) });
  const bundleId = await submitDemo(t, r.lab, { maintainer: own, agents: [AGENT] });
  await assertRefusedEverywhere(r, bundleId, fingerprint(own), requested);
});

/**
 * Rewrites every JobOffer sent on `channel`: `impostor` heads its list of the embargo's maintainers.
 * Offers leave as envelope bytes (`sendEncoded`, which `send` also ends in), so they are decoded,
 * doctored and encoded again there.
 */
function doctorOffers(channel: Channel, impostor: darkroom.v1.Recipient.$Properties): void {
  const sendEncoded = channel.sendEncoded.bind(channel);
  channel.sendEncoded = (bytes) => {
    const envelope = decodeEnvelope(bytes);
    if (!envelope.jobOffer) return sendEncoded(bytes);
    return sendEncoded(encodeEnvelope({ jobOffer: { ...envelope.jobOffer, maintainers: [impostor, ...(envelope.jobOffer.maintainers ?? [])] } }));
  };
}

/** `darkroom …` to the end; fails the test on a non-zero exit. */
async function cli(args: string[]): Promise<string> {
  const run = await runCli(args);
  assert.equal(run.code, 0, `darkroom ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** A lab with a real coordinator process and an enrolled agent (the victim) whose keys a thief takes. */
async function enrolledVictim(t: TestContext): Promise<{ lab: LabAddress; dir: string; victim: Identity; setup: AgentSetup }> {
  const lab = await startCoordinatorProcess(t);
  const dir = await tempDir(t, 'dr-thief-');
  await mkdir(join(dir, 'victim'));
  const setup = await writeAgentConfig(join(dir, 'victim'), { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, trust: [generateIdentity()], name: 'victim', tree: dir });
  await cli(['agent', 'enroll', '--config', setup.config, '--token', issueToken(lab, 'agent', 'victim', ['demo'])]);
  return { lab, dir, victim: await readIdentity(setup.stateDir), setup };
}

/** A thief's agent whose identity.key holds `signSecret` and `boxSecret`, enrolling with the CLI; resolves with its stderr. */
async function enrolThief(lab: LabAddress, dir: string, secrets: { signSecret: Uint8Array; boxSecret: Uint8Array }): Promise<string> {
  await mkdir(join(dir, 'thief'));
  const setup = await writeAgentConfig(join(dir, 'thief'), { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, trust: [generateIdentity()], name: 'thief', tree: dir });
  await mkdir(setup.stateDir, { mode: 0o700 });
  await writeFile(join(setup.stateDir, 'identity.key'), JSON.stringify({ format: 'darkroom-identity-v1', sign_secret: Buffer.from(secrets.signSecret).toString('base64'), box_secret: Buffer.from(secrets.boxSecret).toString('base64') }), { mode: 0o600 });
  const token = issueToken(lab, 'agent', 'thief', ['demo']);
  const run = await runCli(['agent', 'enroll', '--config', setup.config, '--token', token]);
  assert.equal(run.code, 1, `the thief's enrolment is refused: ${run.stdout}`);
  assert.equal(lab.admin((store) => store.tokens.enrolledBy(token)), null, 'the refused enrolment left its token unused');
  return run.stderr;
}

/** A raw client presenting `keys` without holding one of their secrets: the handshake refuses it, its token stays unused. */
async function assertHandshakeRefused(lab: LabAddress, keys: Identity, missing: string): Promise<void> {
  const token = issueToken(lab, 'agent', 'impostor', ['demo']);
  const enrol = async () => {
    const { channel } = await connectAs(lab, keys, 'agent', darkroom.v1.Purpose.PURPOSE_ENROLL);
    await channel.request({ enrollRequest: { token, declaration: declaration(['ringbuf']) } }).finally(() => channel.close());
  };
  await assert.rejects(enrol(), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'HANDSHAKE_FAILED');
    assert.match(error.message, new RegExp(`did not prove possession of the ${missing} it presented`));
    return true;
  });
  assert.equal(lab.admin((store) => store.tokens.enrolledBy(token)), null);
}

function assertOnlyVictim(lab: LabAddress, victim: Identity): void {
  lab.admin((store: Store) => {
    assert.deepEqual(store.parties.list().map((p) => [p.name, p.fingerprint]), [['victim', fingerprint(victim)]], 'nobody was enrolled beside the victim');
    assert.equal(assertAuditIntact(store).problem, null);
  });
}

test('a tester enrolling with another party\'s box key is refused: without its secret by the handshake, with a copied secret as a duplicate', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const { lab, dir, victim } = await enrolledVictim(t);
  const own = generateIdentity();
  await assertHandshakeRefused(lab, { ...own, boxKey: victim.boxKey }, 'box key');
  const stderr = await enrolThief(lab, dir, { signSecret: own.signSecret, boxSecret: victim.boxSecret });
  assert.match(stderr, /This box key is already enrolled by another party: make a fresh identity for 'thief' \(move identity\.key away\) and enrol again with a new token/);
  assertOnlyVictim(lab, victim);
  const enrolled = await connectAs(lab, generateIdentity(), 'agent', darkroom.v1.Purpose.PURPOSE_ENROLL);
  const reply = await enrolled.channel.request({ enrollRequest: { token: issueToken(lab, 'agent', 'honest', ['demo']), declaration: declaration(['ringbuf']) } });
  enrolled.channel.close();
  assert.equal(reply.enrollResult?.name, 'honest', 'a tester with keys of its own still enrols');
});

test('a tester enrolling with another party\'s signing key is refused: without its secret by the handshake, with a copied secret as a duplicate', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const { lab, dir, victim } = await enrolledVictim(t);
  const own = generateIdentity();
  await assertHandshakeRefused(lab, { ...own, signKey: victim.signKey }, 'signing key');
  const stderr = await enrolThief(lab, dir, { signSecret: victim.signSecret, boxSecret: own.boxSecret });
  assert.match(stderr, /This signing key is already enrolled by another party: make a fresh identity for 'thief'/);
  assertOnlyVictim(lab, victim);
  assert.equal(JSON.parse(await readFile(join(dir, 'victim', 'state', 'enrolment.json'), 'utf8')).name, 'victim', 'the victim keeps its enrolment');
});
