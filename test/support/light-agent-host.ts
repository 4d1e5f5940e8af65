// A child process holding many light agents (or plain ws clients for a baseline), steered by its
// parent over the IPC channel (test/support/light-fleet.ts) and reporting what they saw.
import WebSocket from 'ws';
import { messageOf } from '../../shared/errors.js';
import { LightAgent } from './light-agent.js';
import type { HostCommand, HostReply, HostStatus } from './light-fleet-protocol.js';
import { monotonicMs } from './load-clock.js';

/** Enrolments and first connects in flight at once (the coordinator caps open handshakes). */
const PARALLEL_HANDSHAKES = 32;
/** At most one status report per this many ms. */
const STATUS_INTERVAL_MS = 50;

const agents: LightAgent[] = [];
const plain: Array<{ socket: WebSocket; receivedAt: number | null }> = [];
/** Messages the plain clients received since the marks were reset, and when they last sent. */
let plainMessages = 0;
let plainFirstSentAt: number | null = null;
let statusTimer: NodeJS.Timeout | null = null;

function send(reply: HostReply): void {
  if (process.connected) process.send!(reply);
}

function status(): HostStatus {
  const s: HostStatus = {
    agents: agents.length, connected: 0, offeredAgents: 0, jobs: 0, offers: 0, signed: 0, held: 0, resultsSent: 0, acked: 0, duplicateAcks: 0,
    connects: 0, connectFailures: 0, refusedProgress: 0, lastFirstOfferAt: null, offerEnvelopeBytes: 0, firstSentAt: null, lastAckAt: null, errors: [],
    plainOpen: openPlainSockets().length, plainReceived: 0, plainMessages, plainFirstSentAt, plainLastAt: null,
  };
  for (const agent of agents) {
    const c = agent.counters;
    if (agent.connected) s.connected++;
    if (c.firstOfferAt !== null) {
      s.offeredAgents++;
      s.lastFirstOfferAt = Math.max(s.lastFirstOfferAt ?? 0, c.firstOfferAt);
    }
    s.offerEnvelopeBytes = Math.max(s.offerEnvelopeBytes, c.offerEnvelopeBytes);
    s.jobs += c.jobs;
    s.offers += c.offers;
    s.signed += c.signed;
    s.held += agent.held;
    s.resultsSent += c.resultsSent;
    s.acked += c.acked;
    s.duplicateAcks += c.duplicateAcks;
    s.connects += c.connects;
    s.connectFailures += c.connectFailures;
    s.refusedProgress += c.refusedProgress;
    if (c.firstSentAt !== null) s.firstSentAt = Math.min(s.firstSentAt ?? Infinity, c.firstSentAt);
    if (c.lastAckAt !== null) s.lastAckAt = Math.max(s.lastAckAt ?? 0, c.lastAckAt);
    if (s.errors.length < 5) s.errors.push(...c.errors.slice(0, 5 - s.errors.length));
  }
  for (const p of plain) {
    if (p.receivedAt === null) continue;
    s.plainReceived++;
    s.plainLastAt = Math.max(s.plainLastAt ?? 0, p.receivedAt);
  }
  return s;
}

/** Reports soon after a change, at most once per STATUS_INTERVAL_MS. */
function changed(): void {
  statusTimer ??= setTimeout(() => {
    statusTimer = null;
    send({ kind: 'status', status: status() });
  }, STATUS_INTERVAL_MS);
}

async function inBatches<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += PARALLEL_HANDSHAKES) await Promise.all(items.slice(i, i + PARALLEL_HANDSHAKES).map(fn));
}

function openPlainSockets(): WebSocket[] {
  return plain.filter((p) => p.socket.readyState === WebSocket.OPEN).map((p) => p.socket);
}

/** Deals the results over the open plain clients, then sends them all in one turn. */
function plainSend(results: readonly string[]): void {
  const clients = openPlainSockets();
  if (clients.length === 0) throw new Error('No open plain client to send results from: connect them first');
  const frames = results.map((b64) => Buffer.from(b64, 'base64'));
  plainFirstSentAt = monotonicMs();
  frames.forEach((frame, index) => clients[index % clients.length]!.send(frame, { binary: true }));
}

function connectPlain(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = { socket: new WebSocket(url, { perMessageDeflate: false }), receivedAt: null as number | null };
    entry.socket.binaryType = 'nodebuffer';
    entry.socket.on('message', () => {
      plainMessages++;
      entry.receivedAt = monotonicMs();
      changed();
    });
    entry.socket.once('open', () => resolve());
    entry.socket.once('error', reject);
    plain.push(entry);
  });
}

async function run(command: HostCommand): Promise<void> {
  switch (command.kind) {
    case 'enrol':
      await inBatches(command.tokens, async (token) => {
        const agent = new LightAgent(command.settings, changed);
        await agent.enrol(token);
        agents.push(agent);
      });
      send({ kind: 'done', of: 'enrol' });
      return;
    case 'connect':
      await inBatches(agents, (agent) => agent.start());
      send({ kind: 'done', of: 'connect' });
      return;
    case 'configure':
      for (const agent of agents) agent.configure(command.change);
      send({ kind: 'done', of: 'configure' });
      return;
    case 'reset-marks':
      for (const agent of agents) agent.resetMarks();
      for (const p of plain) p.receivedAt = null;
      plainMessages = 0;
      plainFirstSentAt = null;
      send({ kind: 'done', of: 'reset-marks' });
      return;
    case 'sync':
      await Promise.all(agents.map((agent) => agent.sync()));
      send({ kind: 'done', of: 'sync' });
      return;
    case 'release':
      for (const agent of agents) agent.release();
      send({ kind: 'done', of: 'release' });
      return;
    case 'held-results':
      send({ kind: 'held-results', results: agents.flatMap((agent) => agent.heldResults().map((bytes) => Buffer.from(bytes).toString('base64'))) });
      return;
    case 'plain-connect':
      await inBatches(Array.from({ length: command.count }, () => command.url), connectPlain);
      send({ kind: 'done', of: 'plain-connect' });
      return;
    case 'plain-send':
      plainSend(command.results);
      send({ kind: 'done', of: 'plain-send' });
      return;
    case 'status':
      send({ kind: 'status', status: status() });
      return;
    case 'stop':
      for (const agent of agents) agent.stop();
      for (const p of plain) p.socket.terminate();
      if (statusTimer) clearTimeout(statusTimer);
      send({ kind: 'done', of: 'stop' });
      process.disconnect();
      return;
  }
}

process.on('message', (command: HostCommand) => {
  run(command).catch((error: unknown) => send({ kind: 'failed', of: command.kind, message: messageOf(error) }));
});
