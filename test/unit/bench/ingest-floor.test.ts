import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import type { FloorReply } from '../../../bench/ingest-floor-server.js';
import { generateIdentity } from '../../../shared/identity.js';
import { signResult } from '../../../shared/result.js';
import { statusToProto } from '../../../shared/status.js';

const SERVER = new URL('../../../bench/ingest-floor-server.js', import.meta.url);
const identity = generateIdentity();

function signed(jobId: string) {
  return signResult({ jobId, attempt: 1, bundleId: 'b'.repeat(32), agentName: 'lab-a', tree: 'ringbuf', hardwareClass: 'x86_64/test', stages: [{ name: 'apply', status: statusToProto('PASS') }], status: statusToProto('PASS') }, identity);
}

test('the ingest floor acknowledges each result with its id once it is stored, and refuses one that does not verify', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dr-floor-'));
  const path = join(dir, 'floor.db');
  const server = fork(SERVER, [path], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const replies: FloorReply[] = [];
  const reply = (kind: FloorReply['kind']) => new Promise<FloorReply>((resolve) => {
    const look = () => {
      const found = replies.find((r) => r.kind === kind);
      if (found) resolve(found);
      else server.once('message', look);
    };
    look();
  });
  server.on('message', (message: FloorReply) => replies.push(message));
  try {
    const listening = await reply('listening');
    assert.equal(listening.kind, 'listening');
    const client = new WebSocket(`ws://127.0.0.1:${listening.kind === 'listening' ? listening.port : 0}`);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const parts = ['a', 'b', 'c'].map((c) => signed(c.repeat(32)));
    const acks: string[] = [];
    const acked = new Promise<void>((resolve) => client.on('message', (data: Buffer) => {
      acks.push(data.toString());
      if (acks.length === parts.length) resolve();
    }));
    for (const part of parts) client.send(part.bytes);
    await acked;
    assert.deepEqual(acks, parts.map((p) => p.resultId));
    const db = new Database(path, { readonly: true });
    assert.deepEqual(db.prepare('SELECT result_id FROM results ORDER BY job_id').pluck().all(), parts.map((p) => p.resultId));
    db.close();

    const forged = signed('d'.repeat(32)).bytes.slice();
    forged[forged.length - 1]! ^= 1;
    const closed = new Promise<number>((resolve) => client.once('close', resolve));
    client.send(forged);
    assert.equal(await closed, 1008);
    const refused = await reply('refused');
    assert.match(refused.kind === 'refused' ? refused.message : '', /^Result for job d{32} does not verify/);
  } finally {
    const gone = new Promise((resolve) => server.once('exit', resolve));
    server.send({ kind: 'stop' });
    await gone;
    await rm(dir, { recursive: true, force: true });
  }
});
