// A light agent for load runs: an honest client of the coordinator without the pipeline. It enrols
// with a token, runs the real handshake and sealed channel, accepts its offers, pulls the payload of
// those signed by a maintainer it pins (and names any other signer as an error),
// reports progress, signs a real Result naming its job, attempt, bundle and agent, and keeps it
// until the coordinator acknowledges it, sending it again after every reconnect.
// Imports only from proto/, shared/ and transport/, as an agent of another implementation would.
import { darkroom } from '../../proto/darkroom.js';
import { messageOf } from '../../shared/errors.js';
import { readHeader } from '../../shared/bundle/header.js';
import { fingerprint, generateIdentity, type Identity } from '../../shared/identity.js';
import { silentLogger } from '../../shared/log.js';
import { signResult } from '../../shared/result.js';
import type { Channel } from '../../transport/channel.js';
import { connect } from '../../transport/connect.js';
import { monotonicMs } from './load-clock.js';

/** Bytes asked for per BundleRequest. */
export const LIGHT_FETCH_CHUNK_BYTES = 1024 * 1024;
/**
 * The coordinator's refusal of progress for a job it does not see running: after a coordinator
 * crash lost the accept, until the resent offer is accepted again. Expected, so counted apart.
 */
const REFUSED_PROGRESS = /^Job '[^']+' attempt \d+ is not running/;
/** Wait before reconnecting after the connection drops, plus up to as much again of jitter. */
export const LIGHT_RECONNECT_MS = 250;
export const LIGHT_HARDWARE_CLASS = 'x86_64/Light/Load';
const PASS = darkroom.v1.Status.PASS;

export interface LightAgentSettings {
  url: string;
  fingerprint: string;
  /** Fingerprints of the maintainers whose bundles it runs, as agent.yaml's `trusted_maintainers`. */
  trustedMaintainers: string[];
  /** Trees the agent declares (one job per tree a bundle targets). */
  trees: string[];
  /** Declared concurrency: how many jobs the coordinator offers at once. */
  concurrency: number;
  /** Simulated work per job, drawn uniformly from [min, max] ms. */
  workMs: [number, number];
  /** Hold signed results until `release()` (a burst of ingest), instead of sending each at once. */
  holdResults: boolean;
  /**
   * Mark offers as they arrive but answer them only at `release()`: fan-out measured alone, as
   * agents on machines of their own would see it, without hundreds of agents' answers sharing
   * this process's thread with the offers still arriving.
   */
  holdOffers?: boolean;
  reconnectMs?: number;
}

/** What `configure` may change between phases of a load run. */
export type LightChange = Partial<Pick<LightAgentSettings, 'workMs' | 'holdResults' | 'holdOffers'>>;

/** What the agent has seen, with monotonic times in ms (comparable across processes). */
export interface LightCounters {
  offers: number;
  /** Distinct (job, attempt) pairs offered. */
  jobs: number;
  firstOfferAt: number | null;
  /** Encoded size of the last JobOffer envelope received (the sealed frame's plaintext). */
  offerEnvelopeBytes: number;
  signed: number;
  resultsSent: number;
  acked: number;
  duplicateAcks: number;
  firstSentAt: number | null;
  lastAckAt: number | null;
  connects: number;
  /** Progress the coordinator refused because it had lost the job's accept (REFUSED_PROGRESS). */
  refusedProgress: number;
  /** Connection attempts that failed (the coordinator away or restarting). */
  connectFailures: number;
  errors: string[];
}

export function lightDeclaration(settings: Pick<LightAgentSettings, 'trees' | 'concurrency'>): darkroom.v1.AgentDeclaration.$Properties {
  return {
    profile: { arch: 'x86_64', cpuVendor: 'Light', cpuBrand: 'Load', cpuCores: 1, memoryBytes: 2 ** 30 },
    hardwareClass: LIGHT_HARDWARE_CLASS,
    trees: settings.trees.map((name) => ({ name })),
    workloads: [],
    concurrency: settings.concurrency,
    software: 'darkroom-light-agent',
  };
}

const keyOf = (jobId: string, attempt: number) => `${jobId}.${attempt}`;

export class LightAgent {
  readonly identity: Identity = generateIdentity();
  readonly counters: LightCounters = { offers: 0, jobs: 0, firstOfferAt: null, offerEnvelopeBytes: 0, signed: 0, resultsSent: 0, acked: 0, duplicateAcks: 0, firstSentAt: null, lastAckAt: null, connects: 0, refusedProgress: 0, connectFailures: 0, errors: [] };
  name = '';
  /** Signed results not yet acknowledged, by job and attempt: resent on every connect. */
  readonly #unacked = new Map<string, darkroom.v1.SignedResult>();
  readonly #held: darkroom.v1.SignedResult[] = [];
  readonly #heldOffers: Array<{ envelope: darkroom.v1.Envelope; channel: Channel }> = [];
  readonly #started = new Set<string>();
  readonly #acknowledged = new Set<string>();
  readonly #payloads = new Map<string, Promise<void>>();
  #settings: LightAgentSettings;
  readonly #onChange: () => void;
  #channel: Channel | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #stopped = false;
  #holding: boolean;

  constructor(settings: LightAgentSettings, onChange: () => void) {
    this.#settings = settings;
    this.#holding = settings.holdResults;
    this.#onChange = onChange;
  }

  /** Presents the one-time token over an enrolling connection, as `darkroom agent enroll` does. */
  async enrol(token: string): Promise<void> {
    const { channel } = await connect({ url: this.#settings.url, identity: this.identity, role: darkroom.v1.Role.ROLE_AGENT, purpose: darkroom.v1.Purpose.PURPOSE_ENROLL, fingerprint: this.#settings.fingerprint, logger: silentLogger });
    try {
      const reply = await channel.request({ enrollRequest: { token, contact: '', declaration: lightDeclaration(this.#settings) } });
      if (!reply.enrollResult?.name) throw new Error(`Coordinator answered the enrolment with '${reply.body}', not a result`);
      this.name = reply.enrollResult.name;
    } finally {
      channel.close(1000, 'enrolled');
    }
  }

  /** Connects and keeps reconnecting until `stop()`; resolves at the first successful session. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      const loop = async () => {
        while (!this.#stopped) {
          try {
            await this.#session(resolve);
          } catch {
            this.counters.connectFailures++;
          }
          const base = this.#settings.reconnectMs ?? LIGHT_RECONNECT_MS;
          if (!this.#stopped) await new Promise((done) => setTimeout(done, base + Math.random() * base));
        }
      };
      void loop();
    });
  }

  /** Changes how later jobs are run: work time, holding results or offers. */
  configure(change: LightChange): void {
    this.#settings = { ...this.#settings, ...change };
    if (change.holdResults !== undefined) this.#holding = change.holdResults;
  }

  /** Forgets the times of the first offer, first result sent and last ack, for the next phase. */
  resetMarks(): void {
    this.counters.firstOfferAt = null;
    this.counters.firstSentAt = null;
    this.counters.lastAckAt = null;
  }

  /** A heartbeat answered: the coordinator has dealt with everything this agent sent before it. */
  async sync(): Promise<void> {
    const channel = await this.#connectedChannel();
    await channel.request({ heartbeat: { sentAtMs: Date.now(), runningJobIds: this.#runningJobIds() } });
  }

  /** Sends the held results and answers the held offers (and later ones at once). */
  release(): void {
    this.#holding = false;
    this.#settings = { ...this.#settings, holdOffers: false };
    for (const signed of this.#held.splice(0)) this.#submit(signed);
    for (const { envelope, channel } of this.#heldOffers.splice(0)) this.#answer(envelope, channel);
  }

  /** The signed results this agent holds, for a baseline that verifies the same bytes. */
  heldResults(): Uint8Array[] {
    return this.#held.map((signed) => darkroom.v1.SignedResult.encode(signed).finish());
  }

  get held(): number {
    return this.#held.length;
  }

  get connected(): boolean {
    return this.#channel !== null && !this.#channel.closed;
  }

  stop(): void {
    this.#stopped = true;
    this.#channel?.close(1000, 'light agent stopping');
  }

  async #session(ready: () => void): Promise<void> {
    const { channel, welcome } = await connect({ url: this.#settings.url, identity: this.identity, role: darkroom.v1.Role.ROLE_AGENT, fingerprint: this.#settings.fingerprint, logger: silentLogger });
    this.#channel = channel;
    this.counters.connects++;
    channel.handle((envelope) => this.#receive(envelope, channel));
    channel.send({ declaration: lightDeclaration(this.#settings) });
    for (const signed of this.#unacked.values()) if (!this.#held.includes(signed)) this.#send(signed);
    const interval = Math.max(200, welcome?.heartbeatIntervalMs || 10_000);
    this.#heartbeat = setInterval(() => channel.send({ heartbeat: { sentAtMs: Date.now(), runningJobIds: this.#runningJobIds() } }), interval);
    this.#onChange();
    ready();
    await new Promise<void>((resolve) => channel.onClose(() => resolve()));
    clearInterval(this.#heartbeat);
    this.#channel = null;
    this.#onChange();
  }

  /** Jobs started and not yet acknowledged: their leases are renewed by heartbeats. */
  #runningJobIds(): string[] {
    return [...this.#started].filter((key) => !this.#acknowledged.has(key)).map((key) => key.slice(0, key.lastIndexOf('.')));
  }

  #receive(envelope: darkroom.v1.Envelope, channel: Channel): void {
    switch (envelope.body) {
      case 'jobOffer':
        // Marked as decoded here; the agent reacts in the next turn. Hundreds of light agents share
        // one thread, and a real agent's accept and payload pull happen on its own machine: run
        // inline, they would hold back the offers of every agent after it in this process.
        this.counters.firstOfferAt ??= monotonicMs();
        if (this.#settings.holdOffers) this.#heldOffers.push({ envelope, channel });
        else setImmediate(() => this.#answer(envelope, channel));
        return;
      case 'resultAck': {
        const ack = envelope.resultAck!;
        const key = keyOf(ack.jobId ?? '', ack.attempt ?? 0);
        if (!this.#unacked.delete(key)) return;
        this.#acknowledged.add(key);
        this.counters.acked++;
        if (ack.duplicate) this.counters.duplicateAcks++;
        this.counters.lastAckAt = monotonicMs();
        this.#onChange();
        return;
      }
      case 'error':
        if (REFUSED_PROGRESS.test(envelope.error?.message ?? '')) this.counters.refusedProgress++;
        else this.#error(`coordinator: ${envelope.error?.message ?? ''}`);
        return;
      default:
    }
  }

  #answer(envelope: darkroom.v1.Envelope, channel: Channel): void {
    this.counters.offerEnvelopeBytes = darkroom.v1.Envelope.encode(envelope).finish().length;
    this.#offer(envelope.jobOffer as darkroom.v1.JobOffer, channel);
  }

  /** Accepts (again, for a job it already holds: the coordinator resends unanswered offers). */
  #offer(offer: darkroom.v1.JobOffer, channel: Channel): void {
    this.counters.offers++;
    channel.send({ jobAccept: { jobId: offer.jobId, attempt: offer.attempt } });
    const key = keyOf(offer.jobId, offer.attempt);
    if (this.#started.has(key)) return;
    this.#started.add(key);
    this.counters.jobs++;
    this.#onChange();
    this.#run(offer).catch((error: unknown) => this.#error(`job ${offer.jobId}: ${messageOf(error)}`));
  }

  /** The signer's fingerprint (its key with the box key the offer lists) unless it is pinned; null when it is. */
  #untrustedSigner(offer: darkroom.v1.JobOffer): string | null {
    const signKey = readHeader(offer.header).signerKey;
    const boxKey = offer.maintainers.find((m) => m.signKey && Buffer.from(m.signKey).equals(Buffer.from(signKey)))?.boxKey;
    if (!boxKey) return `'${Buffer.from(signKey).toString('hex').slice(0, 16)}…' (not listed by the offer)`;
    const print = fingerprint({ signKey, boxKey });
    return this.#settings.trustedMaintainers.includes(print) ? null : print;
  }

  /** Pulls the whole payload once per bundle (its jobs of other trees share it), retrying across reconnects. */
  #fetch(offer: darkroom.v1.JobOffer): Promise<void> {
    let fetched = this.#payloads.get(offer.bundleId);
    if (!fetched) {
      fetched = (async () => {
        const size = Number(offer.payloadBytes);
        for (let offset = 0; offset < size;) {
          const channel = await this.#connectedChannel();
          const reply = await channel.request({ bundleRequest: { bundleId: offer.bundleId, offset, maxBytes: LIGHT_FETCH_CHUNK_BYTES } }).catch(() => null);
          if (!reply) continue;
          const data = reply.bundleChunk?.data;
          if (!data?.length || Number(reply.bundleChunk!.offset) !== offset) throw new Error(`bundle ${offer.bundleId} answered offset ${offset} with '${reply.body}'`);
          offset += data.length;
        }
      })();
      this.#payloads.set(offer.bundleId, fetched);
    }
    return fetched;
  }

  /** Pulls the payload, reports the stages, signs the result and keeps it until acked. */
  async #run(offer: darkroom.v1.JobOffer): Promise<void> {
    const startedAtMs = Date.now();
    const signer = this.#untrustedSigner(offer);
    if (signer) throw new Error(`bundle ${offer.bundleId} is signed by ${signer}, not a pinned maintainer: not fetched`);
    await this.#fetch(offer);
    const [min, max] = this.#settings.workMs;
    const progress = (stage: string, event: darkroom.v1.StageEvent, status = 0) =>
      this.#channel?.send({ progress: { jobId: offer.jobId, attempt: offer.attempt, stage, event, status, atMs: Date.now() } });
    progress('apply', darkroom.v1.StageEvent.STAGE_STARTED);
    await new Promise((done) => setTimeout(done, min + Math.random() * (max - min)));
    progress('apply', darkroom.v1.StageEvent.STAGE_FINISHED, PASS);
    const stages = ['apply', 'build', 'boot'].map((name) => ({ name, status: PASS, durationMs: 1 }));
    const parts = signResult({
      jobId: offer.jobId, attempt: offer.attempt, bundleId: offer.bundleId, agentName: this.name, tree: offer.tree, hardwareClass: LIGHT_HARDWARE_CLASS,
      profile: lightDeclaration(this.#settings).profile!, stages, startedAtMs, finishedAtMs: Date.now(), software: 'darkroom-light-agent', status: PASS,
    }, this.identity);
    const signed = darkroom.v1.SignedResult.decode(parts.bytes);
    this.#unacked.set(keyOf(offer.jobId, offer.attempt), signed);
    this.counters.signed++;
    if (this.#holding) this.#held.push(signed);
    else this.#submit(signed);
    this.#onChange();
  }

  #submit(signed: darkroom.v1.SignedResult): void {
    this.counters.firstSentAt ??= monotonicMs();
    this.#send(signed);
  }

  #send(signed: darkroom.v1.SignedResult): void {
    if (this.#channel?.send({ resultSubmit: { signed } })) this.counters.resultsSent++;
  }

  /** The open channel, waiting for the next connect when the coordinator is away. */
  async #connectedChannel(): Promise<Channel> {
    while (!this.#channel || this.#channel.closed) {
      if (this.#stopped) throw new Error('stopped');
      await new Promise((done) => setTimeout(done, this.#settings.reconnectMs ?? LIGHT_RECONNECT_MS));
    }
    return this.#channel;
  }

  #error(message: string): void {
    if (this.#stopped) return;
    if (this.counters.errors.length < 5) this.counters.errors.push(`${this.name}: ${message}`);
  }
}
