// The agent's long-running connection: connect outbound (works behind NAT), run a session until
// the connection ends, back off with jitter, and go again until stopped. Errors that no retry can
// fix (the coordinator says this agent is revoked or unknown, or an impostor answers) stop it.
import { darkroom } from '../proto/darkroom.js';
import { messageOf } from '../shared/errors.js';
import type { Identity } from '../shared/identity.js';
import type { Logger } from '../shared/log.js';
import { WireError, type WireErrorCode } from '../shared/wire/errors.js';
import { connect } from '../transport/connect.js';
import type { Channel } from '../transport/channel.js';
import { Backoff } from './backoff.js';

/** Refusals after which reconnecting cannot help: a person has to act. */
const UNRECOVERABLE: ReadonlySet<WireErrorCode> = new Set<WireErrorCode>([
  'REVOKED', // the coordinator's operator revoked this agent
  'UNKNOWN_PARTY', // this key was never enrolled (or the database was replaced)
  'HANDSHAKE_FAILED', // an impostor or a re-keyed coordinator: the pin does not match
  'UNSUPPORTED_VERSION', // one side must be upgraded
]);

export interface ConnectionLoopOptions {
  url: string;
  fingerprint: string;
  identity: Identity;
  logger: Logger;
  signal: AbortSignal;
  /** Runs while connected; resolves when the channel closes. */
  session: (channel: Channel, welcome: darkroom.v1.Welcome) => Promise<void>;
  backoff?: Backoff;
}

export async function runConnectionLoop(options: ConnectionLoopOptions): Promise<void> {
  const { logger, signal } = options;
  const backoff = options.backoff ?? new Backoff();
  let lastSuccess: number | null = null;
  while (!signal.aborted) {
    try {
      const { channel, welcome } = await connect({ url: options.url, fingerprint: options.fingerprint, identity: options.identity, role: darkroom.v1.Role.ROLE_AGENT, logger });
      lastSuccess = Date.now();
      backoff.reset();
      logger.info({ name: welcome!.name, url: options.url }, 'connected to coordinator');
      const onAbort = () => channel.close(1001, 'agent stopping');
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await options.session(channel, welcome!);
      } finally {
        signal.removeEventListener('abort', onAbort);
        channel.close(1000, 'session ended');
      }
    } catch (error) {
      if (error instanceof WireError && UNRECOVERABLE.has(error.code) && !isNetworkFailure(error)) {
        logger.error({ code: error.code, err: error.message }, 'coordinator refused this agent; not retrying');
        throw error;
      }
      const wait = backoff.next();
      logger.warn({ err: messageOf(error), lastSuccessAgoMs: lastSuccess ? Date.now() - lastSuccess : null, retryInMs: wait }, `connection failed; will try again in ${wait} ms`);
      await sleep(wait, signal);
      continue;
    }
    const wait = backoff.next();
    if (!signal.aborted) logger.warn({ retryInMs: wait }, `connection closed; will try again in ${wait} ms`);
    await sleep(wait, signal);
  }
}

/** A socket that could not reach the coordinator (ECONNREFUSED while it restarts, …): always retried. */
function isNetworkFailure(error: WireError): boolean {
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  return typeof cause?.code === 'string' && typeof cause.syscall === 'string';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
