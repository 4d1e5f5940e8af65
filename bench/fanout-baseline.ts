// The fan-out baseline: the same number of bytes as a sealed JobOffer frame, sent by a plain ws
// server in its own process to as many plain ws clients, timed the same way as dispatch.
import { fork } from 'node:child_process';
import type { LightFleet } from '../test/support/light-fleet.js';
import { monotonicMs } from '../test/support/load-clock.js';
import type { BroadcastCommand, BroadcastReply } from './broadcast-server.js';

const SERVER_SCRIPT = new URL('./broadcast-server.js', import.meta.url);

/** Each round's time, in ms, from asking the server to send until the last client has the message. */
export async function broadcastBaselineMs(fleet: LightFleet, options: { clients: number; bytes: number; rounds: number }): Promise<number[]> {
  const server = fork(SERVER_SCRIPT, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = () => new Promise<BroadcastReply>((resolve) => server.once('message', resolve));
  try {
    const listening = await next();
    if (listening.kind !== 'listening') throw new Error(`Broadcast server answered '${listening.kind}' before listening`);
    await fleet.plainConnect(`ws://127.0.0.1:${listening.port}`, options.clients);
    const rounds: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      await fleet.resetMarks();
      const sentAt = monotonicMs();
      server.send({ kind: 'broadcast', bytes: options.bytes } satisfies BroadcastCommand);
      const status = await fleet.waitFor('every plain client received the broadcast', (s) => s.plainReceived === options.clients);
      rounds.push(status.plainLastAt! - sentAt);
    }
    return rounds;
  } finally {
    const gone = new Promise((resolve) => server.once('exit', resolve));
    server.send({ kind: 'stop' } satisfies BroadcastCommand);
    await gone;
  }
}
