// The fan-out baselines: the same number of bytes as a sealed JobOffer frame, sent by a plain ws
// server in its own process to as many plain ws clients, timed the same way as dispatch — raw, and
// with the least a durable fan-out adds (job rows committed first, each frame sealed per client).
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { LightFleet } from '../test/support/light-fleet.js';
import { monotonicMs } from '../test/support/load-clock.js';
import type { BroadcastCommand, BroadcastReply } from './broadcast-server.js';

const SERVER_SCRIPT = new URL('./broadcast-server.js', import.meta.url);

/**
 * Each round's time, in ms, from asking the server to send until the last client has the message:
 * the plain broadcast's rounds, then as many of its durable floor.
 */
export async function broadcastBaselineMs(fleet: LightFleet, options: { dir: string; clients: number; bytes: number; rounds: number }): Promise<{ raw: number[]; durable: number[] }> {
  const server = fork(SERVER_SCRIPT, [join(options.dir, 'broadcast.db')], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = () => new Promise<BroadcastReply>((resolve) => server.once('message', resolve));
  const round = async (durable: boolean) => {
    await fleet.resetMarks();
    const sentAt = monotonicMs();
    server.send({ kind: 'broadcast', bytes: options.bytes, durable } satisfies BroadcastCommand);
    const status = await fleet.waitFor('every plain client received the broadcast', (s) => s.plainReceived === options.clients);
    return status.plainLastAt! - sentAt;
  };
  try {
    const listening = await next();
    if (listening.kind !== 'listening') throw new Error(`Broadcast server answered '${listening.kind}' before listening`);
    await fleet.plainConnect(`ws://127.0.0.1:${listening.port}`, options.clients);
    const rounds = { raw: [] as number[], durable: [] as number[] };
    for (let i = 0; i < options.rounds; i++) rounds.raw.push(await round(false));
    for (let i = 0; i < options.rounds; i++) rounds.durable.push(await round(true));
    return rounds;
  } finally {
    const gone = new Promise((resolve) => server.once('exit', resolve));
    server.send({ kind: 'stop' } satisfies BroadcastCommand);
    await gone;
  }
}
