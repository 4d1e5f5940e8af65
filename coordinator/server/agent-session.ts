// One connected agent: its declaration, answers to offers, payload pulls, progress, heartbeats
// and results. Every request is checked against the jobs this agent was given.
import { darkroom } from '../../proto/darkroom.js';
import type { SignedResultParts } from '../../shared/result.js';
import { WireError } from '../../shared/wire/errors.js';
import { stageNameProblem } from '../../shared/peer-names.js';
import type { Channel } from '../../transport/channel.js';
import type { Envelope } from '../../shared/wire/frame.js';
import type { Job } from '../store/jobs.js';
import type { Party } from '../store/parties.js';
import { judgeSoon } from './bar-judge.js';
import type { Hub } from './hub.js';
import { declarationOf } from './enroll-session.js';
import { storeResult } from './result-ingest.js';
import { payloadChunk } from './payload-chunk.js';
import { toWireError } from './wire-errors.js';

const JOB_FINISHED = darkroom.v1.NotificationKind.JOB_FINISHED;

/**
 * Serves one agent connection. A result is verified on the pool's threads while later messages
 * arrive, but every message's store write is queued in the order the messages came: each waits
 * for the one before it to be ready (verified), so a result still lands before the progress,
 * accept or result that followed it.
 */
export function runAgentSession(hub: Hub, agent: Party, channel: Channel): void {
  const log = hub.logger.child({ agent: agent.name });
  const session: Session = { party: agent };
  let previous: Promise<unknown> = Promise.resolve();
  channel.handle(async (envelope) => {
    const receivedAt = performance.now();
    const verified = envelope.body === 'resultSubmit' ? hub.verifier.verify(envelope.resultSubmit!.signed ?? {}, agent.signKey) : null;
    const turn = previous.then(() => verified);
    previous = turn.catch(() => undefined);
    try {
      await serve(hub, session, { envelope, channel, verified: await turn, receivedAt });
    } catch (error) {
      const wire = toWireError(error);
      log.warn({ body: envelope.body, code: wire.code, err: wire.message }, 'agent request refused');
      channel.reply(envelope, { error: wire.toProto(false) });
    }
  });
}

/** What a connection keeps between messages: the agent as last read from the store. */
interface Session {
  party: Party;
}

interface Request {
  envelope: Envelope;
  channel: Channel;
  /** A resultSubmit's verified parts (null for every other message). */
  verified: SignedResultParts | null;
  /** performance.now() when the message arrived. */
  receivedAt: number;
}

/**
 * The agent as stored now: a revocation since connect is seen from the next turn of the event
 * loop (one indexed read per agent per turn, however many messages it sent in it); the full
 * record is read again only after the agent declares itself anew.
 */
function current(hub: Hub, session: Session): Party {
  const { party } = session;
  if (!hub.isActive(party.id)) throw new WireError('REVOKED', `Agent '${party.name}' was revoked: its connection is closed`);
  return party;
}

async function serve(hub: Hub, session: Session, request: Request): Promise<void> {
  const { envelope, channel } = request;
  const now = Date.now();
  const agent = current(hub, session);
  const { name } = agent;
  const { store, commits } = hub;
  switch (envelope.body) {
    case 'declaration':
      await commits.run(() => store.parties.declare(agent.id, declarationOf(envelope.declaration!)));
      session.party = store.parties.byId(agent.id) ?? agent;
      hub.offerTo(name);
      return;
    case 'jobAccept': {
      const job = await commits.run(() => store.dispatch.accept(agent, { jobId: envelope.jobAccept!.jobId ?? '', attempt: envelope.jobAccept!.attempt ?? 0, now }));
      hub.logger.info({ agent: name, jobId: job.id, attempt: job.attempt }, 'job accepted');
      return;
    }
    case 'jobDecline': {
      const d = envelope.jobDecline!;
      const job = await commits.run(() => store.dispatch.decline(agent, { jobId: d.jobId ?? '', attempt: d.attempt ?? 0, reason: d.reason ?? '', now }));
      hub.logger.info({ agent: name, jobId: job.id, reason: d.reason }, 'job declined');
      notifyJob(hub, { job, agent }, { kind: JOB_FINISHED, status: darkroom.v1.Status.MISS });
      judgeSoon(hub, job.bundleId);
      hub.offerTo(name);
      return;
    }
    case 'bundleRequest':
      await sendChunk(hub, agent, envelope, channel);
      return;
    case 'progress': {
      const p = envelope.progress!;
      const badStage = stageNameProblem(p.stage);
      if (badStage) throw new WireError('BAD_REQUEST', `${badStage}: progress of job ${p.jobId} not recorded`);
      const job = await commits.run(() => store.dispatch.progress(agent, { jobId: p.jobId ?? '', attempt: p.attempt ?? 0, stage: p.stage ?? '', now }));
      notifyJob(hub, { job, agent }, { kind: darkroom.v1.NotificationKind.JOB_PROGRESS, stage: p.stage ?? '', stageEvent: p.event ?? 0, status: p.status ?? 0 });
      return;
    }
    case 'heartbeat':
      await commits.run(() => {
        store.dispatch.heartbeat(agent, { runningJobIds: envelope.heartbeat!.runningJobIds ?? [], now });
        store.parties.touch(agent.id, now);
      });
      channel.reply(envelope, { heartbeatAck: { sentAtMs: envelope.heartbeat!.sentAtMs ?? 0, serverTimeMs: now } });
      return;
    case 'resultSubmit':
      await acceptResult(hub, agent, request, now);
      return;
    case 'error':
      hub.logger.warn({ agent: name, code: envelope.error!.code, err: envelope.error!.message }, 'agent reported an error');
      return;
    default:
      throw new WireError('UNEXPECTED_MESSAGE', `An agent may not send '${envelope.body ?? 'an empty envelope'}'`);
  }
}

/** Verified first (on the pool, no database needed), stored in the next group commit, acknowledged once that is durable. */
async function acceptResult(hub: Hub, agent: Party, request: Request, now: number): Promise<void> {
  const { envelope, channel } = request;
  const parts = request.verified!;
  const ingested = await hub.commits.run(() => storeResult(hub.store, agent, parts, now));
  const { result, outcome } = ingested;
  hub.logger.info({ agent: agent.name, jobId: result.jobId, attempt: result.attempt, resultId: ingested.resultId, outcome }, 'result received');
  channel.reply(envelope, { resultAck: { jobId: result.jobId, attempt: result.attempt, resultId: ingested.resultId, duplicate: outcome !== 'accepted' } });
  hub.metrics.observeIngest((performance.now() - request.receivedAt) / 1000);
  if (outcome !== 'accepted') return;
  notifyJob(hub, { job: ingested.job, agent }, { kind: JOB_FINISHED, status: result.status });
  hub.bundleChanged(ingested.job.bundleId, result.jobId);
  judgeSoon(hub, ingested.job.bundleId);
  hub.offerTo(agent.name);
}

type JobNotification = Omit<darkroom.v1.Notification.$Properties, 'embargo' | 'bundleId'> & { kind: darkroom.v1.NotificationKind };

/**
 * Notifies about one job: the embargo, bundle, tree, agent and class come from the store, or from
 * the job and agent the caller already holds (the hot paths: progress and results).
 */
export function notifyJob(hub: Hub, subject: string | { job: Job; agent: Party }, fields: JobNotification): void {
  const job = typeof subject === 'string' ? hub.store.jobs.get(subject) : subject.job;
  if (!job) return;
  const embargo = hub.store.bundles.embargoNameOf(job.bundleId);
  if (embargo === null) return;
  const agent = typeof subject === 'string' ? hub.store.parties.byId(job.agentId) : subject.agent;
  hub.notify({ jobId: job.id, agent: job.agentName, tree: job.tree, hardwareClass: agent?.declaration?.hardwareClass ?? '', atMs: Date.now(), ...fields, embargo, bundleId: job.bundleId });
}

/** Serves a slice of a bundle's payload to an agent that holds an open job of that bundle. */
async function sendChunk(hub: Hub, agent: Party, envelope: Envelope, channel: Channel): Promise<void> {
  const request = envelope.bundleRequest!;
  const bundleId = request.bundleId ?? '';
  if (!hub.store.jobs.holdsOpenJob(agent.id, bundleId)) throw new WireError('NOT_AUTHORIZED', `Agent '${agent.name}' holds no open job of bundle ${bundleId}: the payload is only sent to the agents it was sealed for`);
  channel.reply(envelope, { bundleChunk: await payloadChunk(hub.store, request) });
  await channel.flush();
}
