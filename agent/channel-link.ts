// The agent's current connection, as running jobs see it: jobs outlive connections, so they send
// through whatever channel is open now and wait for the next one when they must ask for bytes.
import type { EnvelopeInit } from '../shared/wire/frame.js';
import type { Channel } from '../transport/channel.js';

/** The parts of a Channel a job uses (a test may stand in for it). */
export type JobChannel = Pick<Channel, 'send' | 'request' | 'closed'>;

export class ChannelLink {
  #channel: JobChannel | null = null;
  #waiters: Array<(channel: JobChannel) => void> = [];

  /** Makes `channel` the current one and wakes every job waiting for a connection. */
  attach(channel: JobChannel): void {
    this.#channel = channel;
    for (const wake of this.#waiters.splice(0)) wake(channel);
  }

  current(): JobChannel | null {
    return this.#channel && !this.#channel.closed ? this.#channel : null;
  }

  /** Sends on the current channel; false when there is none (progress is best effort). */
  send(envelope: EnvelopeInit): boolean {
    return this.current()?.send(envelope) ?? false;
  }

  /** The current open channel, or the next one attached; rejects when `signal` aborts first. */
  next(signal: AbortSignal): Promise<JobChannel> {
    const open = this.current();
    if (open) return Promise.resolve(open);
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const wake = (channel: JobChannel) => {
        signal.removeEventListener('abort', onAbort);
        resolve(channel);
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== wake);
        reject(signal.reason);
      };
      this.#waiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
