// THREAT-MODEL 10 against a real `coordinator serve` process while a real agent process runs a job
// through it: slow-loris TCP connections that never finish their upgrade, waves of a flood of
// unauthenticated connections over the cap that never speak, oversized and garbage frames, and well-formed messages of the wrong kind
// or for another agent's bundle on an authenticated session. Each
// is refused with its code and logged; the agent's job completes with one result; the
// coordinator's memory stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { darkroom } from '../../proto/darkroom.js';
import { createDemoRepository } from '../../maintainer/demo/project.js';
import type { WireError } from '../../shared/wire/errors.js';
import { nacl } from '../../shared/crypto/index.js';
import { SOFTWARE } from '../../shared/version.js';
import { decodeFrame, MAX_FRAME_BYTES, MAX_HANDSHAKE_FRAME_BYTES } from '../../shared/wire/frame.js';
import { ClientHandshake } from '../../shared/wire/handshake.js';
import { FUZZ_SEED_ENV, fuzzSeed, mutate, MUTATIONS, Prng } from '../support/fuzz.js';
import { tempDir } from '../support/bundle-fixture.js';
import { connectAs, declaration, enrol, issueToken } from '../support/coordinator-lab.js';
import { startCoordinatorProcess, type CoordinatorProcess } from '../support/coordinator-process.js';
import { submitDemo, until } from '../support/demo-job.js';
import { killHard, runCli, startAgent, writeAgentConfig } from '../support/agent-process.js';
import { assertOneSignedResult, DEMO_EMBARGO, FAULT_TEST_TIMEOUT_MS, SLOW_BUILD } from '../support/agent-rig.js';

/** The listener's default cap on handshakes in progress (coordinator/server/listener.ts). */
const MAX_UNAUTHENTICATED = 256;
const FLOOD = MAX_UNAUTHENTICATED + 64;
/** Attack waves while the job runs; each waits out the coordinator's handshake time-out. */
const MAX_WAVES = 6;
/** TCP connections dripping an upgrade request, each closed at the coordinator's handshake time-out. */
const SLOW_LORIS = 32;
const SLOW_LORIS_PATIENCE_MS = 60_000;
/** Mutated Hello frames sent to the live coordinator, one connection each. */
const LIVE_MUTANTS = 300;
/** The coordinator's resident memory may grow by this much under attack (it idles near 80 MiB). */
const RSS_GROWTH_LIMIT_BYTES = 160 * 1024 * 1024;

/** RFC 6455 close code 1009: the message exceeds the receiver's maximum (ws's maxPayload). */
const WS_MESSAGE_TOO_BIG = 1009;

const closeCode = (name: keyof typeof darkroom.v1.ErrorCode) => 4000 + darkroom.v1.ErrorCode[name];

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Opens a raw WebSocket, sends `data` once open (if any), resolves with the close code. */
function rawClose(url: string, data?: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES * 2 });
    socket.on('open', () => data && socket.send(data));
    socket.on('close', (code) => resolve(code));
    socket.on('error', () => undefined);
  });
}

/** A TCP connection that drips an HTTP upgrade request and never finishes it; resolves when closed. */
function slowLoris(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n');
    let sent = 0;
    const drip = setInterval(() => socket.write(sent < request.length ? request.subarray(sent, ++sent) : 'X-Slow: yes\r\n'), 200);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      resolve();
    });
  });
}

/** One wave of WebSocket attacks: bad frames, then a flood over the cap; resolves with the close codes. */
async function wave(lab: CoordinatorProcess): Promise<number[]> {
  const { url } = lab.coordinator;
  const bad = await Promise.all([rawClose(url, Buffer.alloc(64 * 1024, 1)), rawClose(url, Buffer.from('not a frame'))]);
  const flood = await Promise.all(Array.from({ length: FLOOD }, () => rawClose(url)));
  return [...bad, ...flood];
}

test('under waves of hostile connections a running agent completes its job and the coordinator stays bounded', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const lab = await startCoordinatorProcess(t);
  const dir = await tempDir(t, 'dr-hostile-');
  const repo = await createDemoRepository(join(dir, 'ringbuf'));
  const maintainer = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'alice'))).identity;
  const setup = await writeAgentConfig(dir, { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, trust: [maintainer], name: 'lab-1', tree: repo.dir, hardwareClass: 'x86_64/Test/Box', build: SLOW_BUILD });
  assert.equal((await runCli(['agent', 'enroll', '--config', setup.config, '--token', issueToken(lab, 'agent', 'lab-1', ['demo'])])).code, 0);
  const intruder = (await enrol(lab, 'agent', issueToken(lab, 'agent', 'intruder', ['demo']), declaration(['other']))).identity;
  lab.admin((store) => store.write(() => store.embargoes.create({ name: DEMO_EMBARGO, testers: '@demo', maintainers: 'alice', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin:test', now: Date.now() })));
  const agent = startAgent(setup);
  t.after(() => killHard(agent));
  await until('the agent to connect', () => lab.admin((store) => store.parties.byName('lab-1')!.connectedSince), 30_000);
  const idleRss = await rssOf(lab.child.pid!);

  const bundleId = await submitDemo(t, lab, { maintainer, agents: ['lab-1'] });
  let peakRss = idleRss;
  const sampler = setInterval(() => void rssOf(lab.child.pid!).then((rss) => (peakRss = Math.max(peakRss, rss)), () => undefined), 100);
  t.after(() => clearInterval(sampler));
  let lorisOpen = SLOW_LORIS;
  for (let i = 0; i < SLOW_LORIS; i++) void slowLoris(lab.coordinator.port).then(() => lorisOpen--);
  const codes: number[] = [];
  let waves = 0;
  const done = () => lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done');
  while (waves < MAX_WAVES && (waves === 0 || !done())) {
    codes.push(...await wave(lab));
    waves++;
  }

  const { channel } = await connectAs(lab, intruder, 'agent');
  t.after(() => channel.close());
  await assert.rejects(channel.request({ uploadBegin: { header: Buffer.alloc(10), stanzas: [], payloadBytes: 1 } }), (error: WireError) => error.code === 'UNEXPECTED_MESSAGE');
  await assert.rejects(channel.request({ bundleRequest: { bundleId, offset: 0, maxBytes: 1024 } }), (error: WireError) => error.code === 'NOT_AUTHORIZED');
  assert.ok((await channel.request({ heartbeat: { sentAtMs: Date.now(), runningJobIds: [] } })).heartbeatAck, 'a refused request does not end a session');
  const closed = new Promise<number>((resolve) => channel.onClose((close) => resolve(close.code)));
  channel.send({ bundleChunk: { bundleId, offset: 0, data: Buffer.alloc(MAX_FRAME_BYTES + 1024), last: true } });
  assert.equal(await closed, WS_MESSAGE_TOO_BIG, 'an oversized frame after the handshake ends that session before it is buffered');

  await until('the job to finish', done, 120_000);
  clearInterval(sampler);
  const result = assertOneSignedResult({ lab }, bundleId);
  assert.equal(darkroom.v1.Status[result.status], 'PASS', 'the agent connected throughout completed its job');
  assert.ok(lab.admin((store) => store.parties.byName('lab-1')!.connectedSince), 'and is still connected');
  t.diagnostic(`waves: ${waves}; refusals: ${JSON.stringify(tally(codes))}; RSS idle ${mib(idleRss)} MiB, peak ${mib(peakRss)} MiB`);
  assert.ok(codes.filter((c) => c === closeCode('TOO_MANY_CONNECTIONS')).length >= waves * (FLOOD - MAX_UNAUTHENTICATED), 'the flood over the cap is refused at once');
  assert.ok(codes.filter((c) => c === closeCode('HANDSHAKE_TIMEOUT')).length >= waves * MAX_UNAUTHENTICATED, 'silent handshakes up to the cap are closed at the time-out');
  assert.ok(codes.includes(closeCode('FRAME_TOO_LARGE')) && codes.includes(closeCode('MALFORMED_FRAME')));
  await until('the coordinator to close every slow-loris socket', () => lorisOpen === 0, SLOW_LORIS_PATIENCE_MS);
  assert.ok(peakRss - idleRss < RSS_GROWTH_LIMIT_BYTES, `RSS grew by ${mib(peakRss - idleRss)} MiB`);
  const log = await lab.logLines();
  for (const msg of ['closing a connection that sent no complete WebSocket upgrade in time', 'refused connection: too many handshakes in progress', 'handshake timed out', 'handshake refused', 'agent request refused']) {
    assert.ok(log.some((line) => line.msg === msg), `the coordinator logs '${msg}'`);
  }
  assert.ok(log.some((line) => line.msg === 'socket error' && /payload/i.test(String(line.err))), 'and the oversized frame');
  assert.ok(lab.child.exitCode === null && lab.child.signalCode === null, 'the coordinator process is still up');
});

function tally(codes: number[]): Record<string, number> {
  const names: Record<string, number> = {};
  for (const code of codes) {
    const name = darkroom.v1.ErrorCode[code - 4000] ?? String(code);
    names[name] = (names[name] ?? 0) + 1;
  }
  return names;
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

test('mutated handshakes sent to a coordinator process are each refused with a code; an enrolled agent still gets answers', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const lab = await startCoordinatorProcess(t);
  const steady = (await enrol(lab, 'agent', issueToken(lab, 'agent', 'steady', ['demo']), declaration(['linux']))).identity;
  const { channel } = await connectAs(lab, steady, 'agent');
  t.after(() => channel.close());
  const seed = fuzzSeed();
  t.diagnostic(`${FUZZ_SEED_ENV}=${seed}`);
  const rng = new Prng(seed);
  const hello = new ClientHandshake({ nacl, identity: steady, role: darkroom.v1.Role.ROLE_AGENT, purpose: darkroom.v1.Purpose.PURPOSE_CONNECT, pinnedFingerprint: lab.coordinator.fingerprint, software: SOFTWARE }).hello();
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < LIVE_MUTANTS; i++) {
    const outcome = await firstAnswer(lab.coordinator.url, mutate(hello, rng.pick(MUTATIONS), rng));
    assert.ok(outcome === 'challenge' || outcome.startsWith('refused '), `mutant ${i} got ${outcome} (${FUZZ_SEED_ENV}=${seed})`);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  t.diagnostic(JSON.stringify(outcomes));
  assert.ok((await channel.request({ heartbeat: { sentAtMs: Date.now(), runningJobIds: [] } })).heartbeatAck, 'the enrolled agent is unharmed');
  assert.ok(lab.child.exitCode === null && lab.child.signalCode === null, 'the coordinator process is still up');
});

/** Sends one first frame on a new socket: 'challenge' when the coordinator answers with one, else 'refused CODE'. */
function firstAnswer(url: string, frame: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.on('open', () => socket.send(frame));
    socket.on('message', (data: Buffer) => {
      const challenge = (() => {
        try {
          return decodeFrame(data, MAX_HANDSHAKE_FRAME_BYTES).challenge;
        } catch {
          return null;
        }
      })();
      if (challenge) {
        socket.terminate();
        resolve('challenge');
      }
    });
    socket.on('close', (code) => resolve(code >= 4000 ? `refused ${darkroom.v1.ErrorCode[code - 4000]}` : `closed ${code}`));
    socket.on('error', () => undefined);
  });
}
