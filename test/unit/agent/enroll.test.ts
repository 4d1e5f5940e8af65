import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { darkroom } from '../../../proto/darkroom.js';
import { nacl } from '../../../shared/crypto/index.js';
import { fingerprint, generateIdentity, readIdentity } from '../../../shared/identity.js';
import { silentLogger } from '../../../shared/log.js';
import { ServerHandshake } from '../../../shared/wire/handshake.js';
import type { EnvelopeInit } from '../../../shared/wire/frame.js';
import { Channel } from '../../../transport/channel.js';
import type { AgentConfig } from '../../../agent/config/index.js';
import { enrollAgent } from '../../../agent/enroll.js';
import { readEnrolment } from '../../../agent/enrolment-record.js';
import type { HardwareProfile } from '../../../agent/hardware/index.js';
import { BUILD, TAP_WORKLOAD } from '../../support/pipeline-lab.js';

const PROFILE: HardwareProfile = {
  arch: 'x86_64', cpuVendor: 'AuthenticAMD', cpuBrand: 'AMD EPYC 7763 64-Core Processor', cpuFamily: '25', cpuModel: '1', cpuCores: 128,
  memoryBytes: 2 ** 39, systemVendor: 'Dell Inc.', systemModel: 'PowerEdge R7525', boardVendor: 'Dell Inc.', boardModel: '0R4CNN', virtualization: 'none',
};

/** A coordinator that speaks the real handshake on a real socket and answers one enrolment. */
async function enrolmentServer(t: { after: (fn: () => Promise<void>) => void }, answer: (request: darkroom.v1.EnrollRequest) => EnvelopeInit) {
  const identity = generateIdentity();
  const requests: darkroom.v1.EnrollRequest[] = [];
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.on('connection', (socket: WebSocket) => {
    const handshake = new ServerHandshake(nacl, identity);
    socket.once('message', (hello: Buffer) => {
      socket.send(handshake.hello(hello));
      socket.once('message', (proof: Buffer) => {
        const channel = new Channel(socket, handshake.proof(proof).cipher, silentLogger);
        channel.handle((envelope) => {
          requests.push(envelope.enrollRequest as darkroom.v1.EnrollRequest);
          channel.reply(envelope, answer(envelope.enrollRequest as darkroom.v1.EnrollRequest));
        });
      });
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `ws://127.0.0.1:${port}`, fingerprint: fingerprint(identity), requests };
}

async function agentConfig(t: { after: (fn: () => Promise<void>) => void }, coordinator: { url: string; fingerprint: string }): Promise<AgentConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-enroll-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const stateDir = join(dir, 'state');
  return {
    file: join(dir, 'agent.yaml'), coordinator, trustedMaintainers: [], stateDir, hardwareClass: 'auto', workspace: { root: join(stateDir, 'workspace'), memoryBacked: false }, concurrency: 2, sandbox: 'bubblewrap',
    trees: [{ name: 'linux-6.1.y', path: dir, configDir: dir, build: BUILD, reuseBuildDir: false, boot: { method: 'none' }, workloads: [TAP_WORKLOAD] }],
  };
}

test('enroll: keys in a new private state dir, the token and declaration over the sealed session, the given name recorded', async (t) => {
  const coordinator = await enrolmentServer(t, () => ({ enrollResult: { name: 'lab-epyc-1', role: darkroom.v1.Role.ROLE_AGENT, groups: ['netdev'] } }));
  const config = await agentConfig(t, coordinator);
  const { record } = await enrollAgent(config, { token: 'tok-123', contact: 'Jane Tester <jane@example.org>', profile: PROFILE, logger: silentLogger });

  const [request] = coordinator.requests;
  assert.equal(request!.token, 'tok-123');
  assert.equal(request!.contact, 'Jane Tester <jane@example.org>');
  assert.equal(record.contact, 'Jane Tester <jane@example.org>', 'the agent keeps the contact it signs into its results');
  assert.equal(request!.declaration!.hardwareClass, 'x86_64/AMD/EPYC-7763');
  assert.deepEqual(request!.declaration!.trees!.map((tree) => tree.name), ['linux-6.1.y']);
  assert.deepEqual(request!.declaration!.workloads!.map((w) => `${w.name}:${w.format}`), ['unit:tap']);
  assert.equal(request!.declaration!.concurrency, 2);

  const identity = await readIdentity(config.stateDir);
  assert.equal(record.fingerprint, fingerprint(identity));
  assert.deepEqual(await readEnrolment(config.stateDir), record);
  assert.deepEqual([record.name, record.groups, record.coordinatorFingerprint], ['lab-epyc-1', ['netdev'], coordinator.fingerprint]);
  assert.equal((await stat(config.stateDir)).mode & 0o777, 0o700);
  assert.equal((await stat(join(config.stateDir, 'enrolment.json'))).mode & 0o777, 0o600);

  await assert.rejects(enrollAgent(config, { token: 'tok-456', profile: PROFILE, logger: silentLogger }), { code: 'ALREADY_ENROLLED', message: /already enrolled .*move both files away/ });
  assert.equal(fingerprint(await readIdentity(config.stateDir)), record.fingerprint, 'the key was not overwritten');
  assert.equal(coordinator.requests.length, 1, 'a second enrolment never reaches the coordinator');
});

test('enroll with a refused token: no record, and the next attempt reuses the same key', async (t) => {
  let refuse = true;
  const coordinator = await enrolmentServer(t, () => (refuse
    ? { error: { code: darkroom.v1.ErrorCode.TOKEN_USED, message: 'Token already used: ask the operator for a new one' } }
    : { enrollResult: { name: 'lab-2', role: darkroom.v1.Role.ROLE_AGENT } }));
  const config = await agentConfig(t, coordinator);
  await assert.rejects(enrollAgent(config, { token: 'used', profile: PROFILE, logger: silentLogger }), { code: 'TOKEN_USED' });
  await assert.rejects(readEnrolment(config.stateDir), { code: 'NOT_ENROLLED' });
  const first = fingerprint(await readIdentity(config.stateDir));
  refuse = false;
  const { record } = await enrollAgent(config, { token: 'fresh', profile: PROFILE, logger: silentLogger });
  assert.equal(record.fingerprint, first);
  assert.equal(record.name, 'lab-2');
});

test('enroll against an impostor: the pinned fingerprint does not match, nothing is recorded', async (t) => {
  const coordinator = await enrolmentServer(t, () => ({ enrollResult: { name: 'x' } }));
  const config = await agentConfig(t, { url: coordinator.url, fingerprint: fingerprint(generateIdentity()) });
  await assert.rejects(enrollAgent(config, { token: 'tok', profile: PROFILE, logger: silentLogger }), { code: 'HANDSHAKE_FAILED' });
  assert.equal(coordinator.requests.length, 0, 'the token never left the agent');
  await assert.rejects(readFile(join(config.stateDir, 'enrolment.json')), { code: 'ENOENT' });
});
