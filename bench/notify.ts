// Submit → every one of 100 subscribed maintainer connections notified: the delay from sending the
// final upload chunk to each BUNDLE_SUBMITTED arriving, beside a request round-trip on the same
// kind of connection in the same run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { darkroom } from '../proto/darkroom.js';
import type { Channel } from '../transport/channel.js';
import { smallPatch } from '../test/support/bundle-fixture.js';
import { startCrowd } from '../test/support/maintainer-crowd.js';
import { timedConnection } from '../test/support/timed-connection.js';
import { percentile, round } from './measure.js';

const CROWD_SIZE = 100;
const WARMUP_SUBMITS = 2;
const SUBMITS = 20;
const ROUND_TRIPS = 500;
const GOAL_P99_MS = 100;

function summary(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

/** Arrival times of the next BUNDLE_SUBMITTED on each channel. */
function arrivals(channels: readonly Channel[]): Promise<number[]> {
  return Promise.all(channels.map((channel) => new Promise<number>((resolve) => channel.handle((envelope) => {
    if (envelope.notification?.kind === darkroom.v1.NotificationKind.BUNDLE_SUBMITTED) resolve(performance.now());
  }))));
}

async function roundTrips(channel: Channel, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const reply = await channel.request({ heartbeat: { sentAtMs: Date.now() } });
    if (!reply.heartbeatAck) throw new Error(`Coordinator answered a heartbeat with '${reply.body}': the baseline cannot be measured`);
    samples.push(performance.now() - start);
  }
  return samples;
}

export async function benchNotify(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-bench-notify-'));
  const crowd = await startCrowd(dir, { size: CROWD_SIZE });
  try {
    await Promise.all(crowd.watchers.map((channel) => channel.request({ subscribe: { all: true } })));
    let lastChunkAt = 0;
    const acks: number[] = [];
    const connection = timedConnection(crowd.submitter, {
      sent: () => { lastChunkAt = performance.now(); },
      answered: () => { acks.push(performance.now() - lastChunkAt); },
    });
    const delays: number[] = [];
    const lastOfEach: number[] = [];
    for (let i = 0; i < WARMUP_SUBMITS + SUBMITS; i++) {
      const heard = arrivals(crowd.watchers);
      await crowd.submit(smallPatch(`bench submit ${i}`), connection);
      const times = (await heard).map((at) => at - lastChunkAt);
      if (i < WARMUP_SUBMITS) continue;
      delays.push(...times);
      lastOfEach.push(Math.max(...times));
    }
    const notified = summary(delays);
    const baseline = summary(await roundTrips(crowd.watchers[0]!, ROUND_TRIPS));
    return {
      name: `submit → ${CROWD_SIZE} subscribed maintainer connections notified`,
      submits: SUBMITS,
      notifications: delays.length,
      notify_p50_ms: round(notified.p50),
      notify_p99_ms: round(notified.p99),
      all_notified_p50_ms: round(summary(lastOfEach).p50),
      last_chunk_answered_p50_ms: round(summary(acks.slice(WARMUP_SUBMITS)).p50),
      goal_p99_ms: GOAL_P99_MS,
      goal_met: notified.p99 <= GOAL_P99_MS,
      baseline: 'heartbeat request-reply on an established maintainer connection, loopback, same run',
      baseline_p50_ms: round(baseline.p50, 3),
      baseline_p99_ms: round(baseline.p99, 3),
      p50_ratio_to_baseline: round(notified.p50 / baseline.p50),
      p99_ratio_to_baseline: round(notified.p99 / baseline.p99),
      note: 'from handing the final UploadChunk to the socket until each BUNDLE_SUBMITTED is decoded; the coordinator checks and stores the upload first; coordinator and all clients share one process and event loop',
    };
  } finally {
    await crowd.close();
    await rm(dir, { recursive: true, force: true });
  }
}
