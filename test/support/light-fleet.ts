// Many light agents spread over a few child processes (test/support/light-agent-host.ts): the
// parent's handle to enrol, connect, steer and count them, with their reports summed.
import { fork, type ChildProcess } from 'node:child_process';
import type { LightAgentSettings, LightChange } from './light-agent.js';
import type { HostCommand, HostReply, HostStatus } from './light-fleet-protocol.js';

/** How long a host may take to answer a command (enrolling hundreds of agents on a busy machine). */
export const FLEET_COMMAND_TIMEOUT_MS = 180_000;
const HOST_SCRIPT = new URL('./light-agent-host.js', import.meta.url);

export type FleetStatus = HostStatus & { hosts: number };

interface Host {
  child: ChildProcess;
  status: HostStatus | null;
}

function sum(statuses: readonly HostStatus[]): FleetStatus {
  const numbers = ['agents', 'connected', 'offeredAgents', 'jobs', 'offers', 'signed', 'held', 'resultsSent', 'acked', 'duplicateAcks', 'connects', 'connectFailures', 'refusedProgress', 'plainOpen', 'plainReceived', 'plainMessages'] as const;
  const total = { hosts: statuses.length, lastFirstOfferAt: null, firstSentAt: null, lastAckAt: null, plainFirstSentAt: null, plainLastAt: null, errors: [] } as unknown as FleetStatus;
  for (const key of numbers) total[key] = statuses.reduce((n, s) => n + s[key], 0);
  const pick = (key: 'lastFirstOfferAt' | 'firstSentAt' | 'lastAckAt' | 'plainFirstSentAt' | 'plainLastAt', choose: (...values: number[]) => number) => {
    const values = statuses.map((s) => s[key]).filter((v): v is number => v !== null);
    total[key] = values.length ? choose(...values) : null;
  };
  pick('lastFirstOfferAt', Math.max);
  pick('firstSentAt', Math.min);
  pick('lastAckAt', Math.max);
  pick('plainFirstSentAt', Math.min);
  pick('plainLastAt', Math.max);
  total.offerEnvelopeBytes = Math.max(0, ...statuses.map((s) => s.offerEnvelopeBytes));
  total.errors = statuses.flatMap((s) => s.errors).slice(0, 10);
  return total;
}

export class LightFleet {
  readonly #hosts: Host[];
  readonly #waiters = new Set<() => void>();

  private constructor(hosts: Host[]) {
    this.#hosts = hosts;
    for (const host of hosts) {
      host.child.on('message', (reply: HostReply) => {
        if (reply.kind !== 'status') return;
        host.status = reply.status;
        for (const wake of this.#waiters) wake();
      });
    }
  }

  /** Forks `processes` hosts; each gets an equal share of the agents later. */
  static start(processes: number): LightFleet {
    return new LightFleet(Array.from({ length: processes }, () => ({ child: fork(HOST_SCRIPT, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }), status: null })));
  }

  get pids(): number[] {
    return this.#hosts.map((host) => host.child.pid!);
  }

  /** Enrols one light agent per token, the tokens dealt out evenly over the hosts. */
  async enrol(settings: LightAgentSettings, tokens: readonly string[]): Promise<void> {
    await Promise.all(this.#hosts.map((host, index) => this.#command(host, { kind: 'enrol', settings, tokens: tokens.filter((_, i) => i % this.#hosts.length === index) })));
  }

  connect = () => this.#all({ kind: 'connect' });
  configure = (change: LightChange) => this.#all({ kind: 'configure', change });
  resetMarks = () => this.#all({ kind: 'reset-marks' });
  release = () => this.#all({ kind: 'release' });
  /** Every agent's heartbeat answered: the coordinator has caught up with what they sent. */
  sync = () => this.#all({ kind: 'sync' });

  /** Opens `count` plain ws clients to `url`, spread over the hosts (the broadcast baseline). */
  async plainConnect(url: string, count: number): Promise<void> {
    const share = (index: number) => Math.floor(count / this.#hosts.length) + (index < count % this.#hosts.length ? 1 : 0);
    await Promise.all(this.#hosts.map((host, index) => this.#command(host, { kind: 'plain-connect', url, count: share(index) })));
  }

  /** The open plain clients send these SignedResults, dealt evenly over the hosts and their clients. */
  async plainSend(results: readonly Uint8Array[]): Promise<void> {
    const encoded = results.map((bytes) => Buffer.from(bytes).toString('base64'));
    await Promise.all(this.#hosts.map((host, index) => this.#command(host, { kind: 'plain-send', results: encoded.filter((_, i) => i % this.#hosts.length === index) })));
  }

  /** Every SignedResult the agents hold, as bytes. */
  async heldResults(): Promise<Uint8Array[]> {
    const replies = await Promise.all(this.#hosts.map((host) => this.#command(host, { kind: 'held-results' })));
    return replies.flatMap((reply) => (reply.kind === 'held-results' ? reply.results.map((b64) => new Uint8Array(Buffer.from(b64, 'base64'))) : []));
  }

  /** Fresh totals, asked of every host. */
  async status(): Promise<FleetStatus> {
    await Promise.all(this.#hosts.map((host) => this.#command(host, { kind: 'status' })));
    return sum(this.#hosts.map((host) => host.status!));
  }

  /** Resolves with the totals once `done` holds for them; rejects after `timeoutMs` naming `what`. */
  async waitFor(what: string, done: (status: FleetStatus) => boolean, timeoutMs = FLEET_COMMAND_TIMEOUT_MS): Promise<FleetStatus> {
    let status = await this.status();
    if (done(status)) return status;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`Light agents did not reach '${what}' within ${timeoutMs} ms: last totals ${JSON.stringify(status)}`));
      }, timeoutMs);
      const check = () => {
        if (this.#hosts.some((host) => !host.status)) return;
        status = sum(this.#hosts.map((host) => host.status!));
        if (!done(status)) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(status);
      };
      this.#waiters.add(check);
    });
  }

  /** Stops every agent and waits for the hosts to exit. */
  async stop(): Promise<void> {
    await Promise.all(this.#hosts.map(async (host) => {
      if (host.child.exitCode !== null || host.child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => host.child.once('exit', () => resolve()));
      await this.#command(host, { kind: 'stop' }, 10_000).catch(() => host.child.kill('SIGKILL'));
      const timer = setTimeout(() => host.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }));
  }

  async #all(command: HostCommand): Promise<void> {
    await Promise.all(this.#hosts.map((host) => this.#command(host, command)));
  }

  #command(host: Host, command: HostCommand, timeoutMs = FLEET_COMMAND_TIMEOUT_MS): Promise<HostReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`Light-agent host ${host.child.pid} did not answer '${command.kind}' within ${timeoutMs} ms`)), timeoutMs);
      const onExit = (code: number | null, signal: string | null) => finish(new Error(`Light-agent host ${host.child.pid} exited (${signal ?? code}) during '${command.kind}'`));
      const onMessage = (reply: HostReply) => {
        if (reply.kind === 'status' && command.kind === 'status') finish(null, reply);
        else if (reply.kind === 'held-results' && command.kind === 'held-results') finish(null, reply);
        else if ((reply.kind === 'done' || reply.kind === 'failed') && reply.of === command.kind) {
          finish(reply.kind === 'failed' ? new Error(`Light-agent host ${host.child.pid} failed '${command.kind}': ${reply.message}`) : null, reply);
        }
      };
      const finish = (error: Error | null, reply?: HostReply) => {
        clearTimeout(timer);
        host.child.off('message', onMessage);
        host.child.off('exit', onExit);
        if (error) reject(error);
        else resolve(reply!);
      };
      host.child.on('message', onMessage);
      host.child.once('exit', onExit);
      host.child.send(command);
    });
  }
}
