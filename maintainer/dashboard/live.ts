// The open bundle page's live feed: on each notification of the bundle (and on a slow timer, in
// case one was missed) the status is read again, `darkroom watch`'s model says what happened, and
// the page is told to reload its live part and shown the events as lines.
import { messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { formatEvent, WatchModel } from '../render/watch-model.js';
import { WATCH_POLL_MS } from '../watch.js';
import type { DashboardSource } from './source.js';

export interface LiveMessage {
  event: 'changed' | 'activity';
  data: string;
}

/** Sends the bundle's changes through `send` until `signal` aborts. */
export async function followBundle(source: DashboardSource, bundleId: string, options: { send: (message: LiveMessage) => Promise<void>; signal: AbortSignal; logger: Logger; pollMs?: number }): Promise<void> {
  const model = new WatchModel();
  model.applyStatus(await source.status(bundleId), Date.now());
  let running = false;
  let again = false;
  const refresh = async (notified: boolean): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const events = model.applyStatus(await source.status(bundleId), Date.now());
        if (options.signal.aborted) return;
        if (events.length > 0) await options.send({ event: 'activity', data: JSON.stringify(events.map((event) => `${new Date().toISOString().slice(11, 19)} ${formatEvent(event)}`)) });
        if (events.length > 0 || notified) await options.send({ event: 'changed', data: bundleId });
      } while (again && !options.signal.aborted);
    } catch (error) {
      options.logger.warn({ bundle: bundleId, err: messageOf(error) }, 'live update failed; trying again on the next notification');
    } finally {
      running = false;
    }
  };
  const stop = source.listen((notification) => {
    if (notification.bundleId === bundleId) void refresh(true);
  });
  const timer = setInterval(() => void refresh(false), options.pollMs ?? WATCH_POLL_MS);
  try {
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve();
      options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    clearInterval(timer);
    stop();
  }
}
