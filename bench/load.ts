// The coordinator at scale: 1,000 light agents (test/support/light-agent.ts) in two processes
// against `darkroom coordinator serve` in a third. Dispatch of a bundle to all of them beside a raw
// ws broadcast of the same bytes; a burst of signed-result ingest beside bare verify + batched
// insert of the same results; memory per connected agent; and the load run with the coordinator
// killed (SIGKILL) and restarted in the middle, every result counted exactly once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAC_BYTES } from '../shared/crypto/index.js';
import { encodeFrame } from '../shared/wire/frame.js';
import { startLoadRun, type ExactlyOnce, type LoadRun } from '../test/support/load-run.js';
import { monotonicMs } from '../test/support/load-clock.js';
import { broadcastBaselineMs } from './fanout-baseline.js';
import { ingestBaselinePerSecond } from './ingest-baseline.js';
import { ingestFloorPerSecond } from './ingest-floor.js';
import { round } from './measure.js';

const AGENTS = 1_000;
const HOSTS = 2;
/** Every agent declares this many trees; the ingest bundle targets all of them. */
const TREES = Array.from({ length: 10 }, (_, i) => `tree-${i}`);
/** Dispatch rounds measured, after one unmeasured round that warms the coordinator up. */
const FANOUT_ROUNDS = 4;
const WARMUP_ROUNDS = 1;
const BASELINE_ROUNDS = 5;
/** Time for the coordinator to settle after the agents connect, before its RSS is read. */
const SETTLE_MS = 2_000;
/** Simulated work per job in the restart run, so results arrive before and after the kill. */
const RESTART_WORK_MS: [number, number] = [500, 6_000];
const GOALS = { fanoutRatio: 1.5, ingestPerSecond: 10_000, ingestRatio: 0.7, bytesPerAgent: 64 * 1024 };

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exact(count: ExactlyOnce): boolean {
  return count.lost === 0 && count.doubleCounted === 0 && count.done === count.jobs;
}

/**
 * One bundle to every agent: submit → every agent offered (the agents hold their answers until
 * then, as the broadcast's plain clients answer nothing) → released, every result acknowledged.
 */
async function dispatchRound(run: LoadRun, ackedBefore: number) {
  await run.fleet.configure({ holdOffers: true });
  await run.fleet.resetMarks();
  const submitted = await run.submit([TREES[0]!]);
  const offered = await run.fleet.waitFor('every agent offered the bundle', (s) => s.offeredAgents === AGENTS);
  await run.fleet.release();
  const acked = await run.fleet.waitFor('every result acknowledged', (s) => s.acked >= ackedBefore + submitted.jobs);
  return { fanoutMs: offered.lastFirstOfferAt! - submitted.lastChunkSentAt, afterAnswerMs: offered.lastFirstOfferAt! - submitted.lastChunkAnsweredAt, completeMs: acked.lastAckAt! - submitted.lastChunkSentAt, acked: acked.acked, count: run.count(submitted.bundleId), offerEnvelopeBytes: offered.offerEnvelopeBytes };
}

async function ingestBurst(run: LoadRun, dir: string, ackedBefore: number) {
  await run.fleet.configure({ holdResults: true });
  await run.fleet.resetMarks();
  const submitted = await run.submit(TREES);
  await run.fleet.waitFor('every result signed and held', (s) => s.held === submitted.jobs);
  const signed = await run.fleet.heldResults();
  await run.fleet.sync();
  const cpuBefore = await run.coordinator.cpuMs();
  await run.fleet.release();
  const acked = await run.fleet.waitFor('every held result acknowledged', (s) => s.acked >= ackedBefore + submitted.jobs);
  const perCpuSecond = submitted.jobs / (((await run.coordinator.cpuMs()) - cpuBefore) / 1000);
  const perSecond = submitted.jobs / ((acked.lastAckAt! - acked.firstSentAt!) / 1000);
  const baseline = await ingestBaselinePerSecond(dir, signed);
  const floor = await ingestFloorPerSecond(run.fleet, { dir, clients: AGENTS, signed });
  return { results: submitted.jobs, perSecond, perCpuSecond, baseline, floor, acked: acked.acked, count: run.count(submitted.bundleId) };
}

async function restartRun(run: LoadRun, ackedBefore: number) {
  await run.fleet.configure({ holdResults: false, workMs: RESTART_WORK_MS });
  const peakBeforeKiB = await run.coordinator.peakRssKiB();
  const submitted = await run.submit([TREES[1]!]);
  const atKill = await run.fleet.waitFor('a third of the results acknowledged', (s) => s.acked >= ackedBefore + submitted.jobs / 3);
  const killedAt = monotonicMs();
  await run.killAndRestart();
  const restartedAt = monotonicMs();
  const end = await run.fleet.waitFor('every result acknowledged after the restart', (s) => s.acked >= ackedBefore + submitted.jobs && s.connected === AGENTS);
  return {
    results: submitted.jobs,
    acked_before_kill: atKill.acked - ackedBefore,
    restart_ms: round(restartedAt - killedAt, 0),
    complete_ms: round(end.lastAckAt! - submitted.lastChunkSentAt, 0),
    reconnected_ms: round(monotonicMs() - restartedAt, 0),
    connections_held_after: end.connected,
    duplicate_acks: end.duplicateAcks,
    progress_refused_until_reaccepted: end.refusedProgress,
    peak_rss_mib_before_kill: round(peakBeforeKiB / 1024, 1),
    peak_rss_mib_after_restart: round((await run.coordinator.peakRssKiB()) / 1024, 1),
    store: run.count(submitted.bundleId),
  };
}

type Round = Awaited<ReturnType<typeof dispatchRound>>;

function fanOutReport(rounds: readonly Round[], { baselineMs, floorMs, frameBytes }: { baselineMs: number; floorMs: number; frameBytes: number }) {
  const fanoutMs = median(rounds.map((r) => r.fanoutMs));
  return {
    what: 'final UploadChunk sent → every agent has decoded its JobOffer (includes the upload check and fsync, job creation and audit); the agents answer their offers only after that, as the plain clients answer nothing',
    rounds_ms: rounds.map((r) => round(r.fanoutMs, 1)),
    median_ms: round(fanoutMs, 1),
    after_upload_answered_median_ms: round(median(rounds.map((r) => r.afterAnswerMs)), 1),
    frame_bytes: frameBytes,
    baseline: `plain ws server in a child process sends ${frameBytes} bytes to ${AGENTS} plain ws clients in the same ${HOSTS} processes, median of ${BASELINE_ROUNDS}`,
    baseline_ms: round(baselineMs, 1),
    ratio_to_baseline: round(fanoutMs / baselineMs, 2),
    goal_ratio: GOALS.fanoutRatio,
    goal_met: fanoutMs / baselineMs <= GOALS.fanoutRatio,
    durable_floor: {
      what: `the same server first commits one job row per client (one transaction, synchronous FULL, the coordinator's job indexes) and seals the ${frameBytes} bytes for each client under a key of its own, median of ${BASELINE_ROUNDS} rounds after the baseline's`,
      median_ms: round(floorMs, 1),
      ratio_to_baseline: round(floorMs / baselineMs, 2),
      fan_out_ratio_to_floor: round(fanoutMs / floorMs, 2),
    },
  };
}

function ingestReport(ingest: Awaited<ReturnType<typeof ingestBurst>>) {
  const ratio = ingest.perSecond / ingest.baseline.perSecond;
  return {
    what: `${ingest.results} held signed results released at once by ${AGENTS} agents: first sent → last acknowledged`,
    per_second: round(ingest.perSecond, 0),
    per_coordinator_cpu_second: round(ingest.perCpuSecond, 0),
    baseline: 'decode + Ed25519 verify (libsodium) + result id + batched insert (WAL, synchronous FULL) of the same bytes, one process',
    baseline_per_second: round(ingest.baseline.perSecond, 0),
    baseline_per_cpu_second: round(ingest.baseline.perCpuSecond, 0),
    ratio_to_baseline: round(ratio, 2),
    cpu_ratio_to_baseline: round(ingest.perCpuSecond / ingest.baseline.perCpuSecond, 2),
    networked_floor: {
      what: `the baseline's work behind a plain ws server in its own process, the same results sent by ${AGENTS} plain ws clients in the agents' processes, each acknowledged after its group commit: no handshake, sealing, jobs or audit`,
      per_second: round(ingest.floor.perSecond, 0),
      per_server_cpu_second: round(ingest.floor.perCpuSecond, 0),
      ratio_to_baseline: round(ingest.floor.perSecond / ingest.baseline.perSecond, 2),
      cpu_ratio_to_baseline: round(ingest.floor.perCpuSecond / ingest.baseline.perCpuSecond, 2),
      ingest_ratio_to_floor: round(ingest.perSecond / ingest.floor.perSecond, 2),
      ingest_cpu_ratio_to_floor: round(ingest.perCpuSecond / ingest.floor.perCpuSecond, 2),
    },
    note: 'the per-CPU-second figures are less sensitive to the other processes on this shared machine than wall time',
    goal_per_second: GOALS.ingestPerSecond,
    goal_ratio: GOALS.ingestRatio,
    goal_met: ingest.perSecond >= GOALS.ingestPerSecond && ratio >= GOALS.ingestRatio,
    exactly_once: exact(ingest.count),
  };
}

export async function benchLoad(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-bench-load-'));
  const enrolStart = monotonicMs();
  const run = await startLoadRun(dir, { agents: AGENTS, hosts: HOSTS, trees: TREES, concurrency: TREES.length });
  try {
    const enrolMs = monotonicMs() - enrolStart;
    const connectStart = monotonicMs();
    await run.fleet.connect();
    const connected = await run.fleet.waitFor('every agent connected', (s) => s.connected === AGENTS);
    const connectMs = monotonicMs() - connectStart;
    await sleep(SETTLE_MS);
    const connectedRssKiB = await run.coordinator.rssKiB();
    const bytesPerAgent = ((connectedRssKiB - run.idleRssKiB) * 1024) / AGENTS;

    const rounds = [];
    let acked = 0;
    for (let i = 0; i < WARMUP_ROUNDS + FANOUT_ROUNDS; i++) {
      const r = await dispatchRound(run, acked);
      acked = r.acked;
      rounds.push(r);
    }
    const warmup = rounds.splice(0, WARMUP_ROUNDS);
    const frameBytes = encodeFrame({ sealed: new Uint8Array(rounds[0]!.offerEnvelopeBytes + MAC_BYTES) }).length;
    const broadcast = await broadcastBaselineMs(run.fleet, { dir, clients: AGENTS, bytes: frameBytes, rounds: BASELINE_ROUNDS });
    const ingest = await ingestBurst(run, dir, acked);
    acked = ingest.acked;
    const restart = await restartRun(run, acked);
    return {
      name: `coordinator with ${AGENTS} light agents in ${HOSTS} processes (darkroom coordinator serve as a child process)`,
      connections: { agents: AGENTS, held: connected.connected, enrol_ms: round(enrolMs, 0), connect_ms: round(connectMs, 0) },
      memory: { idle_rss_mib: round(run.idleRssKiB / 1024, 1), connected_rss_mib: round(connectedRssKiB / 1024, 1), bytes_per_agent: round(bytesPerAgent, 0), goal_bytes_per_agent: GOALS.bytesPerAgent, goal_met: bytesPerAgent <= GOALS.bytesPerAgent },
      fan_out: fanOutReport(rounds, { baselineMs: median(broadcast.raw), floorMs: median(broadcast.durable), frameBytes }),
      load_run: {
        what: 'final UploadChunk sent → every signed result acknowledged, one job per agent (the agents answer their offers once all 1,000 hold theirs)',
        complete_ms: rounds.map((r) => round(r.completeMs, 0)),
        exactly_once: [...warmup, ...rounds].every((r) => exact(r.count)),
        store: rounds.map((r) => r.count),
      },
      ingest: ingestReport(ingest),
      restart: { ...restart, exactly_once: exact(restart.store) },
    };
  } finally {
    await run.close();
    await rm(dir, { recursive: true, force: true });
  }
}
