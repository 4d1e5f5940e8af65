// THREAT-MODEL 10 on a running coordinator: garbage, text, oversized and slow handshakes, a flood
// of unauthenticated connections, and a well-formed message of the wrong kind — each refused with
// its code, while an enrolled agent's session stays healthy throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { darkroom } from '../../proto/darkroom.js';
import type { WireError } from '../../shared/wire/errors.js';
import { connectAs, declaration, enrol, issueToken, startLab, type Lab } from '../support/coordinator-lab.js';

const closeCode = (name: keyof typeof darkroom.v1.ErrorCode) => 4000 + darkroom.v1.ErrorCode[name];

/** Opens a raw WebSocket, sends `data` (if any), and resolves with the close code. */
function rawClose(lab: Lab, data?: Buffer | string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(lab.coordinator.url);
    socket.on('open', () => {
      if (data !== undefined) socket.send(data);
    });
    socket.on('close', (code) => resolve(code));
    socket.on('error', reject);
  });
}

async function healthyAgent(lab: Lab) {
  const { identity } = await enrol(lab, 'agent', issueToken(lab, 'agent', 'steady'), declaration(['linux']));
  const { channel } = await connectAs(lab, identity, 'agent');
  return channel;
}

test('garbage, text and oversized handshake frames are refused with their codes; a healthy agent is unharmed', async (t) => {
  const lab = await startLab(t);
  const channel = await healthyAgent(lab);
  t.after(() => channel.close());
  assert.equal(await rawClose(lab, Buffer.from('this is not a protobuf frame at all')), closeCode('MALFORMED_FRAME'));
  assert.equal(await rawClose(lab, 'hello in text'), closeCode('MALFORMED_FRAME'));
  assert.equal(await rawClose(lab, Buffer.alloc(64 * 1024, 7)), closeCode('FRAME_TOO_LARGE'));
  const ack = await channel.request({ heartbeat: { sentAtMs: Date.now(), runningJobIds: [] } });
  assert.ok(ack.heartbeatAck, 'the enrolled agent still gets answers');
});

test('a slow-loris handshake is closed at the time-out, and a flood is capped', async (t) => {
  const lab = await startLab(t, { limits: { handshakeTimeoutMs: 400, maxUnauthenticated: 4 } });
  const channel = await healthyAgent(lab);
  t.after(() => channel.close());
  const started = Date.now();
  const flood = Array.from({ length: 10 }, () => rawClose(lab));
  const codes = await Promise.all(flood);
  assert.equal(codes.filter((c) => c === closeCode('HANDSHAKE_TIMEOUT')).length, 4, 'the first four wait out the time-out');
  assert.equal(codes.filter((c) => c === closeCode('TOO_MANY_CONNECTIONS')).length, 6, 'the rest are refused at once');
  assert.ok(Date.now() - started < 3_000);
  const ack = await channel.request({ heartbeat: { sentAtMs: Date.now(), runningJobIds: [] } });
  assert.ok(ack.heartbeatAck);
  assert.equal(lab.coordinator.hub.registry.isConnected('steady'), true);
});

test('a well-formed message of the wrong kind is refused and the session goes on', async (t) => {
  const lab = await startLab(t);
  const channel = await healthyAgent(lab);
  t.after(() => channel.close());
  await assert.rejects(channel.request({ uploadBegin: { header: Buffer.alloc(10), stanzas: [], payloadBytes: 1 } }), (error: WireError) => error.code === 'UNEXPECTED_MESSAGE');
  await assert.rejects(channel.request({ resultSubmit: { signed: { result: Buffer.from('junk'), signature: Buffer.alloc(64) } } }), (error: WireError) => error.code === 'RESULT_REJECTED');
  const ack = await channel.request({ heartbeat: { sentAtMs: Date.now(), runningJobIds: [] } });
  assert.ok(ack.heartbeatAck);
});

test('a progress message with a stage name holding escape sequences or too many characters is refused before it is stored', async (t) => {
  const lab = await startLab(t);
  const channel = await healthyAgent(lab);
  t.after(() => channel.close());
  for (const stage of ['build\u001b[2J\u001b[Hall PASS', 'x'.repeat(500)]) {
    await assert.rejects(channel.request({ progress: { jobId: 'j1', attempt: 1, stage, event: 1 } }), (error: WireError) => error.code === 'BAD_REQUEST' && /not a stage name/.test(error.message));
  }
  const ack = await channel.request({ heartbeat: { sentAtMs: Date.now(), runningJobIds: [] } });
  assert.ok(ack.heartbeatAck);
});
