// The networked ingest floor's server, as a child process like the coordinator: a plain ws server
// on loopback that does the in-process baseline's work for every signed result a client sends
// (decode, verify, result id, insert) with the coordinator's durable group commit — every result
// that arrived in one turn of the event loop in one transaction — and answers each with its result
// id once that is committed. No handshake, no sealed channel, no jobs, no audit: the least a
// server that acknowledges durably over a socket must do.
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { openResultTable, verifiedRow, type ResultRow } from './ingest-work.js';

export type FloorCommand = { kind: 'cpu' } | { kind: 'stop' };
export type FloorReply = { kind: 'listening'; port: number } | { kind: 'cpu'; ms: number } | { kind: 'refused'; message: string };

interface Arrived {
  client: WebSocket;
  stream: Socket;
  row: ResultRow;
}

const table = openResultTable(process.argv[2]!);
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
let arrived: Arrived[] = [];
let scheduled: NodeJS.Immediate | null = null;

/** Commits this turn's results, then acknowledges each, one socket write per client per turn. */
function commit(): void {
  scheduled = null;
  const batch = arrived;
  arrived = [];
  table.insertBatch(batch.map((item) => item.row));
  const corked = new Set<Socket>();
  for (const { client, stream, row } of batch) {
    if (!corked.has(stream)) {
      stream.cork();
      corked.add(stream);
    }
    client.send(row[2], { binary: false });
  }
  process.nextTick(() => {
    for (const stream of corked) stream.uncork();
  });
}

server.on('connection', (client, request) => {
  client.on('message', (data: Buffer) => {
    try {
      arrived.push({ client, stream: request.socket, row: verifiedRow(data) });
      scheduled ??= setImmediate(commit);
    } catch (error) {
      process.send!({ kind: 'refused', message: error instanceof Error ? error.message : String(error) } satisfies FloorReply);
      client.close(1008, 'result refused');
    }
  });
});
server.on('listening', () => process.send!({ kind: 'listening', port: (server.address() as AddressInfo).port } satisfies FloorReply));
process.on('message', (command: FloorCommand) => {
  if (command.kind === 'cpu') {
    const cpu = process.cpuUsage();
    process.send!({ kind: 'cpu', ms: (cpu.user + cpu.system) / 1000 } satisfies FloorReply);
    return;
  }
  for (const client of server.clients) client.terminate();
  server.close(() => {
    table.close();
    process.disconnect();
  });
});
