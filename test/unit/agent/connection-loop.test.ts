// The agent's reconnect loop against real sockets: a coordinator that drops the connection in the
// middle of the handshake is a transient fault (retried); an impostor is a refusal (the loop stops).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { nacl } from '../../../shared/crypto/index.js';
import { fingerprint, generateIdentity } from '../../../shared/identity.js';
import { ServerHandshake } from '../../../shared/wire/handshake.js';
import { Backoff } from '../../../agent/backoff.js';
import { runConnectionLoop } from '../../../agent/connection-loop.js';

const FAST_BACKOFF = new Backoff({ initialMs: 10, maxMs: 40, factor: 2 });
/** Connections the loop must have attempted to count as "kept retrying". */
const RETRIES_EXPECTED = 4;

/** Waits until the server saw `count` connections, or the loop ended first (then says how). */
async function connectionsOrEnd(seen: { connections: number }, count: number, loop: Promise<unknown>): Promise<void> {
  let ended: string | null = null;
  loop.then(() => (ended = 'returned'), (error: Error) => (ended = `threw ${error.message}`));
  while (seen.connections < count) {
    if (ended) assert.fail(`The loop ${ended} after ${seen.connections} connections instead of retrying`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A logger whose JSON lines are kept for the test to read. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** A WebSocket server that answers each Hello with `onHello`; counts connections. */
async function server(t: TestContext, onHello: (socket: WebSocket, hello: Buffer) => void) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  const seen = { connections: 0 };
  wss.on('connection', (socket: WebSocket) => {
    seen.connections++;
    socket.once('message', (hello: Buffer) => onHello(socket, hello));
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, seen };
}

test('a coordinator closing in the middle of the handshake is retried, not taken as a refusal', async (t) => {
  const coordinator = generateIdentity();
  const { url, seen } = await server(t, (socket, hello) => {
    socket.send(new ServerHandshake(nacl, coordinator).hello(hello));
    socket.close(1001, 'going away');
  });
  const { logger, lines } = capturingLogger();
  const controller = new AbortController();
  const loop = runConnectionLoop({
    url, fingerprint: fingerprint(coordinator), identity: generateIdentity(), logger, signal: controller.signal, backoff: FAST_BACKOFF,
    session: () => Promise.reject(new Error('no session is expected: every handshake is cut')),
  });
  await connectionsOrEnd(seen, RETRIES_EXPECTED, loop);
  controller.abort();
  await loop;
  const warnings = lines.filter((line) => String(line.msg).startsWith('connection failed; will try again'));
  assert.ok(warnings.length >= RETRIES_EXPECTED - 1, `each cut is logged as transient (${warnings.length})`);
  assert.match(String(warnings[0]!.err), /closed the connection during the handshake \(1001 going away\): it may be restarting; retry/);
  assert.equal(lines.filter((line) => String(line.msg).includes('not retrying')).length, 0);
});

test('a socket reset before the challenge is retried as well', async (t) => {
  const { url, seen } = await server(t, (socket) => socket.terminate());
  const controller = new AbortController();
  const loop = runConnectionLoop({
    url, fingerprint: fingerprint(generateIdentity()), identity: generateIdentity(), logger: capturingLogger().logger, signal: controller.signal, backoff: FAST_BACKOFF,
    session: () => Promise.reject(new Error('no session is expected')),
  });
  await connectionsOrEnd(seen, RETRIES_EXPECTED, loop);
  controller.abort();
  await loop;
});

test('an impostor coordinator is a refusal: the loop stops with HANDSHAKE_FAILED and says why', async (t) => {
  const impostor = generateIdentity();
  const { url, seen } = await server(t, (socket, hello) => socket.send(new ServerHandshake(nacl, impostor).hello(hello)));
  const { logger, lines } = capturingLogger();
  await assert.rejects(runConnectionLoop({
    url, fingerprint: fingerprint(generateIdentity()), identity: generateIdentity(), logger, signal: new AbortController().signal, backoff: FAST_BACKOFF,
    session: () => Promise.reject(new Error('no session is expected')),
  }), { code: 'HANDSHAKE_FAILED' });
  assert.equal(seen.connections, 1, 'no second attempt');
  const refusal = lines.find((line) => line.msg === 'coordinator refused this agent; not retrying');
  assert.equal(refusal?.code, 'HANDSHAKE_FAILED');
  assert.match(String(refusal?.why), /impostor/);
});
