// `darkroom watch`: a bundle's live progress from notifications and status snapshots, and
// `watch --all`: every notification of the maintainer's embargoes as a line.
import { darkroom } from '../proto/darkroom.js';
import { statusFromProto } from '../shared/status.js';
import { WireError } from '../shared/wire/errors.js';
import type { Envelope } from '../shared/wire/frame.js';
import type { Channel } from '../transport/channel.js';
import type { WatchView } from './render/watch.js';

/** A status poll even without notifications, in case one was missed. */
export const WATCH_POLL_MS = 5_000;

type StageView = darkroom.v1.StageView.$Properties;

/** Stage states learnt from JOB_PROGRESS notifications, by job id then stage name. */
export type StageNotes = Map<string, Map<string, StageView>>;

/** Records one progress notification (pure apart from mutating `notes`). */
export function noteProgress(notes: StageNotes, notification: darkroom.v1.Notification.$Properties): void {
  if (notification.kind !== darkroom.v1.NotificationKind.JOB_PROGRESS || !notification.jobId || !notification.stage) return;
  const stages = notes.get(notification.jobId) ?? new Map<string, StageView>();
  const finished = notification.stageEvent === darkroom.v1.StageEvent.STAGE_FINISHED;
  stages.set(notification.stage, { name: notification.stage, running: !finished, ...(finished && notification.status ? { status: notification.status } : {}) });
  notes.set(notification.jobId, stages);
}

/** A snapshot with the notified stages added where the snapshot knows less (a finished stage wins). */
export function mergeNotes(snapshot: darkroom.v1.BundleStatus.$Properties, notes: StageNotes): darkroom.v1.BundleStatus.$Properties {
  return {
    ...snapshot,
    jobs: (snapshot.jobs ?? []).map((job) => {
      const noted = notes.get(job.jobId ?? '');
      if (!noted) return job;
      const byName = new Map<string, StageView>();
      for (const stage of noted.values()) byName.set(stage.name ?? '', stage);
      for (const stage of job.stages ?? []) if (stage.status || !byName.get(stage.name ?? '')?.status) byName.set(stage.name ?? '', stage);
      return { ...job, stages: [...byName.values()] };
    }),
  };
}

/** A bundle's status snapshot: its jobs, their states and stages, and the bar's verdict. */
export async function fetchBundleStatus(channel: Channel, bundleId: string): Promise<darkroom.v1.BundleStatus.$Properties> {
  const reply = await channel.request({ statusRequest: { bundleId } });
  if (!reply.bundleStatus) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a status request with '${reply.body}'`);
  return reply.bundleStatus;
}

/** Follows one bundle until every job has ended; polls on each notification and on a timer. */
export async function watchBundle(channel: Channel, options: { bundleId: string; view: WatchView }): Promise<void> {
  const notes: StageNotes = new Map();
  let polling = false;
  let again = false;
  let finish: (error?: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  const poll = async (): Promise<void> => {
    if (polling) {
      again = true;
      return;
    }
    polling = true;
    try {
      do {
        again = false;
        options.view.update(mergeNotes(await fetchBundleStatus(channel, options.bundleId), notes));
      } while (again && !options.view.complete);
      if (options.view.complete) finish();
    } catch (error) {
      finish(error);
    } finally {
      polling = false;
    }
  };
  channel.handle((envelope: Envelope) => {
    if (!envelope.notification || envelope.notification.bundleId !== options.bundleId) return;
    noteProgress(notes, envelope.notification);
    void poll();
  });
  channel.onClose((close) => finish(close.error ?? new WireError('INTERNAL', `Connection closed while watching (${close.code} ${close.reason}): run 'darkroom watch ${options.bundleId}' again`)));
  const reply = await channel.request({ subscribe: { bundleIds: [options.bundleId] } });
  if (!reply.subscribed) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a subscription with '${reply.body}'`);
  const timer = setInterval(() => void poll(), WATCH_POLL_MS);
  try {
    await poll();
    await done;
  } finally {
    clearInterval(timer);
    options.view.stop();
  }
}

const KIND_WORDS: Record<number, string> = {
  [darkroom.v1.NotificationKind.BUNDLE_SUBMITTED]: 'bundle submitted',
  [darkroom.v1.NotificationKind.JOB_FINISHED]: 'job finished',
  [darkroom.v1.NotificationKind.BUNDLE_COMPLETE]: 'bundle complete',
  [darkroom.v1.NotificationKind.BAR_MET]: 'quality bar met',
  [darkroom.v1.NotificationKind.BAR_FAILED]: 'quality bar failed',
  [darkroom.v1.NotificationKind.JOB_PROGRESS]: 'job progress',
};

/** One line per notification: time, what happened, then the fields it carries. */
export function formatNotification(notification: darkroom.v1.Notification.$Properties): string {
  const at = notification.atMs ? new Date(Number(notification.atMs)).toISOString() : new Date().toISOString();
  const fields: Array<[string, string | undefined | null]> = [
    ['embargo', notification.embargo], ['bundle', notification.bundleId], ['tree', notification.tree], ['agent', notification.agent],
    ['class', notification.hardwareClass], ['job', notification.jobId], ['stage', notification.stage],
    ['status', notification.status ? statusFromProto(notification.status) : null],
  ];
  const details = fields.filter(([, value]) => value).map(([key, value]) => `${key}=${value}`).join(' ');
  return `${at} ${KIND_WORDS[notification.kind ?? 0] ?? `kind ${notification.kind}`}${details ? ` ${details}` : ''}`;
}

/** Prints every notification of the maintainer's embargoes until the connection closes or `signal` aborts. */
export async function watchAll(channel: Channel, options: { writeLine: (line: string) => void; signal: AbortSignal }): Promise<void> {
  channel.handle((envelope: Envelope) => {
    if (envelope.notification) options.writeLine(formatNotification(envelope.notification));
  });
  const reply = await channel.request({ subscribe: { all: true } });
  if (!reply.subscribed) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a subscription with '${reply.body}'`);
  await new Promise<void>((resolve, reject) => {
    options.signal.addEventListener('abort', () => resolve(), { once: true });
    channel.onClose((close) => (options.signal.aborted ? resolve() : reject(close.error ?? new WireError('INTERNAL', `Connection closed (${close.code} ${close.reason}): run 'darkroom watch --all' again`))));
  });
}
