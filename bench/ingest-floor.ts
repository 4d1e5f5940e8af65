// The networked ingest floor: the in-process baseline's work behind a plain ws server in its own
// process (bench/ingest-floor-server.ts), fed the same signed results by as many plain ws clients
// in the light-agent hosts, each result acknowledged after its group commit. It shows what the
// network and the acknowledgements alone cost before any of the coordinator's own work.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { LightFleet } from '../test/support/light-fleet.js';
import type { FloorCommand, FloorReply } from './ingest-floor-server.js';

const SERVER_SCRIPT = new URL('./ingest-floor-server.js', import.meta.url);

/** Results acknowledged per second of wall time (first sent → last acknowledged), and per second of the server's CPU. */
export async function ingestFloorPerSecond(fleet: LightFleet, options: { dir: string; clients: number; signed: readonly Uint8Array[] }): Promise<{ perSecond: number; perCpuSecond: number }> {
  const server = fork(SERVER_SCRIPT, [join(options.dir, 'floor.db')], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const refusals: string[] = [];
  const next = <K extends FloorReply['kind']>(kind: K) => new Promise<Extract<FloorReply, { kind: K }>>((resolve) => {
    const onMessage = (reply: FloorReply) => {
      if (reply.kind !== kind) return;
      server.off('message', onMessage);
      resolve(reply as Extract<FloorReply, { kind: K }>);
    };
    server.on('message', onMessage);
  });
  server.on('message', (reply: FloorReply) => {
    if (reply.kind === 'refused') refusals.push(reply.message);
  });
  const cpuMs = async () => {
    const answer = next('cpu');
    server.send({ kind: 'cpu' } satisfies FloorCommand);
    return (await answer).ms;
  };
  try {
    const listening = await next('listening');
    await fleet.plainConnect(`ws://127.0.0.1:${listening.port}`, options.clients);
    await fleet.resetMarks();
    const cpuBefore = await cpuMs();
    await fleet.plainSend(options.signed);
    const done = await fleet.waitFor('every result acknowledged by the ingest floor', (s) => s.plainMessages === options.signed.length || refusals.length > 0);
    if (refusals.length > 0) throw new Error(`The ingest floor refused a result: ${refusals[0]}`);
    const serverCpuMs = (await cpuMs()) - cpuBefore;
    return { perSecond: options.signed.length / ((done.plainLastAt! - done.plainFirstSentAt!) / 1000), perCpuSecond: options.signed.length / (serverCpuMs / 1000) };
  } finally {
    const gone = new Promise((resolve) => server.once('exit', resolve));
    server.send({ kind: 'stop' } satisfies FloorCommand);
    await gone;
  }
}
