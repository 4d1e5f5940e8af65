// An agent a fault test steps by hand (light-agent.ts is the one that runs on its own in load
// runs): the real handshake and sealed channel, the agent's messages, and no pipeline. It accepts
// every offer, signs a PASS result per job on request, and keeps those results until
// acknowledged, as the real agent's outbox does.
import { darkroom } from '../../proto/darkroom.js';
import type { Identity } from '../../shared/identity.js';
import { signResult, type SignedResultParts } from '../../shared/result.js';
import type { Channel } from '../../transport/channel.js';
import { connectAs, declaration, enrol, issueToken, type LabAddress } from './coordinator-lab.js';
import { until } from './demo-job.js';

export const SCRIPTED_HARDWARE_CLASS = 'x86_64/AMD/EPYC-7763';

export class ScriptedAgent {
  readonly name: string;
  readonly identity: Identity;
  readonly trees: string[];
  /** Every offer seen, by job id (the latest attempt). */
  readonly offers = new Map<string, darkroom.v1.JobOffer>();
  /** Result acks by job id: how many came back, and how many said "duplicate". */
  readonly acks = new Map<string, { count: number; duplicates: number; resultId: string }>();
  readonly cancels: string[] = [];
  channel: Channel | null = null;
  readonly #results = new Map<string, SignedResultParts>();
  readonly #stages: darkroom.v1.StageResult.$Properties[];

  private constructor(name: string, identity: Identity, trees: string[], stages: darkroom.v1.StageResult.$Properties[]) {
    this.name = name;
    this.identity = identity;
    this.trees = trees;
    this.#stages = stages;
  }

  /** Enrols `name` in group `group` over the wire; its results sign `stages` (default: apply and build passed). */
  static async enrol(lab: LabAddress, name: string, options: { trees: string[]; group: string; stages?: darkroom.v1.StageResult.$Properties[] }): Promise<ScriptedAgent> {
    const decl = declaration(options.trees, { concurrency: options.trees.length, hardwareClass: SCRIPTED_HARDWARE_CLASS });
    const { identity } = await enrol(lab, 'agent', issueToken(lab, 'agent', name, [options.group]), decl);
    return new ScriptedAgent(name, identity, options.trees, options.stages ?? [{ name: 'apply', status: darkroom.v1.Status.PASS }, { name: 'build', status: darkroom.v1.Status.PASS }]);
  }

  /** Connects (retrying while the coordinator is down), declares, and accepts what it is offered. */
  async connect(lab: LabAddress, timeoutMs = 60_000): Promise<void> {
    const { channel } = await until(`${this.name} to connect`, () => connectAs(lab, this.identity, 'agent').catch(() => null), timeoutMs);
    this.channel = channel;
    channel.handle((envelope) => {
      if (envelope.jobOffer) {
        const offer = envelope.jobOffer as darkroom.v1.JobOffer;
        this.offers.set(offer.jobId, offer);
        channel.send({ jobAccept: { jobId: offer.jobId, attempt: offer.attempt } });
      } else if (envelope.resultAck) {
        const ack = envelope.resultAck;
        const seen = this.acks.get(ack.jobId!) ?? { count: 0, duplicates: 0, resultId: ack.resultId! };
        this.acks.set(ack.jobId!, { count: seen.count + 1, duplicates: seen.duplicates + (ack.duplicate ? 1 : 0), resultId: ack.resultId! });
      } else if (envelope.cancel) {
        this.cancels.push(envelope.cancel.jobId!);
      }
    });
    channel.send({ declaration: declaration(this.trees, { concurrency: this.trees.length, hardwareClass: SCRIPTED_HARDWARE_CLASS }) });
  }

  /** The signed result of a job offered to this agent; the same bytes every time it is asked. */
  resultOf(jobId: string): SignedResultParts {
    const offer = this.offers.get(jobId)!;
    const key = `${jobId}#${offer.attempt}`;
    if (!this.#results.has(key)) {
      this.#results.set(key, signResult({
        jobId, attempt: offer.attempt, bundleId: offer.bundleId, agentName: this.name, tree: offer.tree, hardwareClass: SCRIPTED_HARDWARE_CLASS,
        status: darkroom.v1.Status.PASS, startedAtMs: Date.now() - 1_000, finishedAtMs: Date.now(),
        stages: this.#stages,
      }, this.identity));
    }
    return this.#results.get(key)!;
  }

  /** Sends the result of every offered job, or only of those not yet acknowledged; returns how many. */
  submit(options: { all: boolean }): number {
    let sent = 0;
    for (const jobId of this.offers.keys()) {
      if (!options.all && this.acks.has(jobId)) continue;
      if (this.channel?.send({ resultSubmit: { signed: darkroom.v1.SignedResult.decode(this.resultOf(jobId).bytes) } })) sent++;
    }
    return sent;
  }

  close(): void {
    this.channel?.close();
  }
}
