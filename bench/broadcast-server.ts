// The fan-out baselines' server, as a child process like the coordinator: a plain ws server on
// loopback that sends one buffer to every connected client when its parent asks — as it is (the
// raw broadcast), or as the floor of a durable fan-out: one job row per client committed first
// (one transaction, synchronous FULL, the coordinator's job indexes) and the buffer then sealed
// for each client under a key of its own, as the coordinator's sessions do.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAC_BYTES, nacl } from '../shared/crypto/index.js';
import { SessionCipher } from '../shared/wire/session.js';

export type BroadcastCommand = { kind: 'broadcast'; bytes: number; durable: boolean } | { kind: 'stop' };
export type BroadcastReply = { kind: 'listening'; port: number } | { kind: 'sent'; clients: number };

const db = new Database(process.argv[2]!);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, bundle_id TEXT NOT NULL, agent_id INTEGER NOT NULL, tree TEXT NOT NULL, state TEXT NOT NULL,
  attempt INTEGER NOT NULL, queued_at INTEGER NOT NULL, offered_at INTEGER, UNIQUE (bundle_id, agent_id, tree));
  CREATE INDEX jobs_agent_state ON jobs(agent_id, state);
  CREATE INDEX jobs_state ON jobs(state);`);
const insert = db.prepare("INSERT INTO jobs VALUES (?, ?, ?, 'tree', 'offered', 1, ?, ?)");
const recordOffers = db.transaction((bundleId: string, clients: number, now: number) => {
  const ids = randomBytes(16 * clients).toString('hex');
  for (let i = 0; i < clients; i++) insert.run(ids.slice(32 * i, 32 * (i + 1)), bundleId, i, now, now);
});

const ciphers = new Map<WebSocket, SessionCipher>();
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (client) => {
  ciphers.set(client, new SessionCipher(nacl, { sendKey: randomBytes(32), receiveKey: randomBytes(32) }));
  client.on('close', () => ciphers.delete(client));
});
server.on('listening', () => process.send!({ kind: 'listening', port: (server.address() as AddressInfo).port } satisfies BroadcastReply));
process.on('message', (command: BroadcastCommand) => {
  if (command.kind === 'stop') {
    for (const client of server.clients) client.terminate();
    server.close(() => {
      db.close();
      process.disconnect();
    });
    return;
  }
  if (command.durable) {
    recordOffers.immediate(randomBytes(16).toString('hex'), server.clients.size, Date.now());
    const plaintext = Buffer.alloc(command.bytes - MAC_BYTES, 0x5a);
    for (const client of server.clients) client.send(ciphers.get(client)!.seal(plaintext), { binary: true });
  } else {
    const payload = Buffer.alloc(command.bytes, 0x5a);
    for (const client of server.clients) client.send(payload, { binary: true });
  }
  process.send!({ kind: 'sent', clients: server.clients.size } satisfies BroadcastReply);
});
