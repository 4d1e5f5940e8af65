// One connected session of the agent: declare what this machine offers, resend unacknowledged
// results, accept offers, pass cancels to running jobs, keep leases alive with heartbeats.
import { darkroom } from '../proto/darkroom.js';
import type { Logger } from '../shared/log.js';
import { jobIdProblem } from '../shared/peer-names.js';
import type { Channel } from '../transport/channel.js';
import type { Outbox } from './outbox.js';

/** What the session needs from the daemon's job scheduler. */
export interface JobHost {
  /** Starts the job unless it already runs or finished; false when declined (with a reason). */
  offer(offer: darkroom.v1.JobOffer, channel: Channel): { accepted: true } | { accepted: false; reason: string };
  cancel(jobId: string, reason: string): void;
  runningJobIds(): string[];
}

export interface SessionOptions {
  channel: Channel;
  welcome: darkroom.v1.Welcome;
  declaration: darkroom.v1.AgentDeclaration.$Properties;
  outbox: Outbox;
  jobs: JobHost;
  logger: Logger;
}

/** Sends every result still in the outbox; each stays there until its ack arrives. */
export async function flushOutbox(channel: Channel, outbox: Outbox, logger: Logger): Promise<void> {
  for (const entry of await outbox.pending()) {
    const signed = darkroom.v1.SignedResult.decode(entry.bytes);
    if (!channel.send({ resultSubmit: { signed } })) return;
    logger.info({ jobId: entry.jobId, attempt: entry.attempt }, 'result sent');
  }
}

export async function runSession(options: SessionOptions): Promise<void> {
  const { channel, outbox, jobs, logger } = options;
  channel.handle(async (envelope) => {
    switch (envelope.body) {
      case 'jobOffer': {
        const offer = envelope.jobOffer!;
        const answer = jobs.offer(offer as darkroom.v1.JobOffer, channel);
        if (answer.accepted) channel.send({ jobAccept: { jobId: offer.jobId, attempt: offer.attempt } });
        else channel.send({ jobDecline: { jobId: offer.jobId, attempt: offer.attempt, reason: answer.reason } });
        return;
      }
      case 'cancel':
        jobs.cancel(envelope.cancel!.jobId!, envelope.cancel!.reason || 'cancelled by the coordinator');
        return;
      case 'resultAck': {
        const ack = envelope.resultAck!;
        const problem = jobIdProblem(ack.jobId);
        if (problem) {
          logger.warn({ err: problem }, 'coordinator acknowledged a result under an unsafe job id; ignored');
          return;
        }
        await outbox.ack(ack.jobId!, ack.attempt!);
        logger.info({ jobId: ack.jobId, attempt: ack.attempt, duplicate: ack.duplicate }, 'result acknowledged');
        return;
      }
      case 'heartbeatAck':
        return;
      case 'error':
        logger.warn({ code: envelope.error!.code, err: envelope.error!.message }, 'coordinator reported an error');
        return;
      default:
        logger.warn({ body: envelope.body }, 'unexpected message from the coordinator');
    }
  });
  channel.send({ declaration: options.declaration });
  await flushOutbox(channel, outbox, logger);
  const interval = Math.max(200, options.welcome.heartbeatIntervalMs || 10_000);
  const heartbeat = setInterval(() => {
    channel.send({ heartbeat: { sentAtMs: Date.now(), runningJobIds: jobs.runningJobIds() } });
  }, interval);
  channel.send({ heartbeat: { sentAtMs: Date.now(), runningJobIds: jobs.runningJobIds() } });
  await new Promise<void>((resolve) => channel.onClose(() => resolve()));
  clearInterval(heartbeat);
}
