// The fan-out baseline's server, as a child process like the coordinator: a plain ws server on
// loopback that sends one buffer to every connected client when its parent asks.
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export type BroadcastCommand = { kind: 'broadcast'; bytes: number } | { kind: 'stop' };
export type BroadcastReply = { kind: 'listening'; port: number } | { kind: 'sent'; clients: number };

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('listening', () => process.send!({ kind: 'listening', port: (server.address() as AddressInfo).port } satisfies BroadcastReply));
process.on('message', (command: BroadcastCommand) => {
  if (command.kind === 'stop') {
    for (const client of server.clients) client.terminate();
    server.close(() => process.disconnect());
    return;
  }
  const payload = Buffer.alloc(command.bytes, 0x5a);
  for (const client of server.clients) client.send(payload, { binary: true });
  process.send!({ kind: 'sent', clients: server.clients.size } satisfies BroadcastReply);
});
