import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { nacl } from '../../../shared/crypto/index.js';
import { silentLogger } from '../../../shared/log.js';
import { SessionCipher } from '../../../shared/wire/session.js';
import { Channel, type ChannelOptions } from '../../../transport/channel.js';
import type { Envelope } from '../../../shared/wire/frame.js';

const FRAMES = 50;
const keyA = new Uint8Array(32).fill(1);
const keyB = new Uint8Array(32).fill(2);

/** Sends FRAMES heartbeat acks from the server side in one turn; counts the socket writes they took. */
async function burst(t: { after: (fn: () => Promise<void> | void) => void }, cork: boolean): Promise<{ writes: number; received: number[] }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  t.after(() => new Promise<void>((resolve) => {
    for (const client of server.clients) client.terminate();
    server.close(() => resolve());
  }));
  await new Promise((resolve) => server.once('listening', resolve));
  const accepted = new Promise<{ socket: WebSocket; raw: Socket }>((resolve) => server.once('connection', (socket, request) => resolve({ socket, raw: request.socket })));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, { perMessageDeflate: false });
  await new Promise((resolve) => client.once('open', resolve));
  const { socket, raw } = await accepted;
  const options: ChannelOptions = cork ? { stream: raw } : {};
  const sender = new Channel(socket, new SessionCipher(nacl, { sendKey: keyA, receiveKey: keyB }), silentLogger, options);
  const receiver = new Channel(client, new SessionCipher(nacl, { sendKey: keyB, receiveKey: keyA }), silentLogger);
  const received: number[] = [];
  const all = new Promise<void>((resolve) => receiver.handle((envelope: Envelope) => {
    received.push(Number(envelope.heartbeatAck!.sentAtMs));
    if (received.length === FRAMES) resolve();
  }));
  let writes = 0;
  const writable = raw as unknown as { _write: (...args: unknown[]) => unknown; _writev: (...args: unknown[]) => unknown };
  for (const method of ['_write', '_writev'] as const) {
    const original = writable[method].bind(raw);
    writable[method] = (...args: unknown[]) => {
      writes++;
      return original(...args);
    };
  }
  for (let i = 0; i < FRAMES; i++) sender.send({ heartbeatAck: { sentAtMs: i, serverTimeMs: 0 } });
  await all;
  return { writes, received };
}

test('frames sent in one turn leave in one socket write when the channel holds its socket', async (t) => {
  const { writes, received } = await burst(t, true);
  assert.deepEqual(received, Array.from({ length: FRAMES }, (_, i) => i), 'every frame arrives, in order, and opens');
  assert.equal(writes, 1);
});

test('without the socket each frame is its own write', async (t) => {
  const { writes, received } = await burst(t, false);
  assert.equal(received.length, FRAMES);
  assert.equal(writes, FRAMES);
});
