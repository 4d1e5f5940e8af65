// The agent's long-running connection: connect outbound (works behind NAT), run a session until
// the connection ends, back off with jitter, and go again until stopped. Only the refusals in
// UNRECOVERABLE stop it; everything else (a restart, a network cut, a full coordinator) is retried.
import { darkroom } from '../proto/darkroom.js';
import { messageOf } from '../shared/errors.js';
import type { Identity } from '../shared/identity.js';
import type { Logger } from '../shared/log.js';
import { WireError, type WireErrorCode } from '../shared/wire/errors.js';
import { connect } from '../transport/connect.js';
import type { Channel } from '../transport/channel.js';
import { Backoff } from './backoff.js';

/**
 * The refusals after which reconnecting cannot help and a person has to act, with the reason.
 * Every other error is transient: CONNECTION_LOST (the coordinator restarting, a network cut, a
 * socket closed mid-handshake), HANDSHAKE_TIMEOUT, TOO_MANY_CONNECTIONS, OVERLOADED, INTERNAL.
 */
const UNRECOVERABLE: ReadonlyMap<WireErrorCode, string> = new Map<WireErrorCode, string>([
  ['REVOKED', 'the coordinator\'s operator revoked this agent'],
  ['UNKNOWN_PARTY', 'this key was never enrolled, or the coordinator\'s database was replaced'],
  ['HANDSHAKE_FAILED', 'the coordinator could not prove the pinned key: an impostor, or a re-keyed coordinator'],
  ['UNSUPPORTED_VERSION', 'the agent and the coordinator speak different protocol versions: upgrade one side'],
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
      const why = error instanceof WireError ? UNRECOVERABLE.get(error.code) : undefined;
      if (why) {
        logger.error({ code: (error as WireError).code, err: messageOf(error), why }, 'coordinator refused this agent; not retrying');
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
