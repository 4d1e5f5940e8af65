// The quality bar on a running coordinator: a bundle's verdict from the stored, verified results,
// re-judged as results arrive and deadlines pass; a change to met or failed is notified once.
import { darkroom } from '../../proto/darkroom.js';
import { messageOf } from '../../shared/errors.js';
import { zeroCounts } from '../../shared/result-details.js';
import { isStatus, statusFromProto, type Status } from '../../shared/status.js';
import { evaluateBar, type BarJob, type BarStage, type BarVerdict } from '../bar/evaluate.js';
import { barFromJson } from '../bar/format.js';
import type { Bundle } from '../store/bundles.js';
import type { Store } from '../store/store.js';
import type { Hub } from './hub.js';
import { OPEN_STATES, decodeStoredResult, latestStored } from './maintainer-views.js';

/** A base status as signed (a KCIDB word), or null when none was sent or it is not one. */
function baseOf(text: string | null | undefined): Status | null {
  return text && isStatus(text) ? text : null;
}

/** The signed stages as the bar judges them: statuses and case counts. */
function stagesOf(result: darkroom.v1.Result): BarStage[] {
  return result.stages.filter((stage) => stage.status).map((stage) => ({
    name: stage.name ?? '',
    status: statusFromProto(stage.status!),
    baseStatus: baseOf(stage.baseStatus),
    counts: { ...zeroCounts(), ...darkroom.v1.CaseCounts.toObject(darkroom.v1.CaseCounts.create(stage.counts ?? {})) },
  }));
}

/** The evaluation's input for one bundle, from the store. */
export function barJobsOf(store: Store, bundleId: string): BarJob[] {
  const latest = latestStored(store.results.byBundle(bundleId));
  return store.jobs.byBundle(bundleId).map((job) => {
    const stored = latest.get(job.id);
    const result = stored ? decodeStoredResult(stored) : null;
    return {
      jobId: job.id,
      agent: job.agentName,
      tree: job.tree,
      hardwareClass: result?.hardwareClass || store.parties.byId(job.agentId)?.declaration?.hardwareClass || '',
      open: OPEN_STATES.has(job.state),
      result: stored && result ? { resultId: stored.resultId, receivedAtMs: stored.receivedAt, stages: stagesOf(result) } : null,
    };
  });
}

/** The bundle's verdict now, or null when its embargo has no bar. */
export function barVerdictOf(store: Store, bundle: Bundle, options: { now: number }): BarVerdict | null {
  const embargo = store.embargoes.byId(bundle.embargoId);
  if (!embargo?.barJson) return null;
  return evaluateBar(barFromJson(embargo.barJson, embargo.name), barJobsOf(store, bundle.id), options);
}

/** JSON for Report / BundleStatus.bar_verdict_json: empty without a bar. */
export function barVerdictJson(store: Store, bundle: Bundle, options: { now: number }): string {
  const verdict = barVerdictOf(store, bundle, options);
  return verdict ? JSON.stringify(verdict) : '';
}

/**
 * After a result, a bundle is judged at most once per this delay: judging reads all the bundle's
 * results, so a burst of results costs one judgement, not one per result.
 */
export const JUDGE_DEBOUNCE_MS = 250;

const scheduled = new WeakMap<Hub, Set<string>>();

/** Judges the bundle within JUDGE_DEBOUNCE_MS, once however many results arrive meanwhile. */
export function judgeSoon(hub: Hub, bundleId: string): void {
  const pending = scheduled.get(hub) ?? new Set<string>();
  scheduled.set(hub, pending);
  if (pending.has(bundleId)) return;
  pending.add(bundleId);
  setTimeout(() => {
    pending.delete(bundleId);
    if (!hub.store.db.open) return;
    try {
      judgeBundle(hub, bundleId, { now: Date.now() });
    } catch (error) {
      hub.logger.error({ bundle: bundleId, err: messageOf(error) }, 'judging the quality bar failed; it is judged again on the next result or sweep');
    }
  }, JUDGE_DEBOUNCE_MS).unref();
}

const KIND = { met: darkroom.v1.NotificationKind.BAR_MET, failed: darkroom.v1.NotificationKind.BAR_FAILED } as const;
const STATUS = { met: darkroom.v1.Status.PASS, failed: darkroom.v1.Status.FAIL } as const;

/** Judges one bundle and notifies its embargo's maintainers when the verdict became met or failed. */
export function judgeBundle(hub: Hub, bundleId: string, { now }: { now: number }): BarVerdict | null {
  const { store } = hub;
  const bundle = store.bundles.get(bundleId);
  if (!bundle) return null;
  const verdict = barVerdictOf(store, bundle, { now });
  if (!verdict) return null;
  const before = store.write(() => store.barVerdicts.record(bundle.id, verdict.verdict, now));
  if (before === verdict.verdict || verdict.verdict === 'pending') return verdict;
  const embargo = store.embargoes.byId(bundle.embargoId)!;
  hub.logger.info({ bundle: bundle.id, embargo: embargo.name, verdict: verdict.verdict, broken: verdict.broken.length }, 'quality bar judged');
  hub.notify({ kind: KIND[verdict.verdict], embargo: embargo.name, bundleId: bundle.id, status: STATUS[verdict.verdict], atMs: now });
  return verdict;
}

/** The bar of each embargo as last judged, to notice a bar set or replaced by an admin command. */
const knownBars = new WeakMap<Hub, Map<number, string | null>>();

/** After an admin change: judges every bundle of each embargo whose bar was set or replaced since. */
export function judgeChangedBars(hub: Hub, now: number): void {
  const known = knownBars.get(hub) ?? new Map<number, string | null>();
  knownBars.set(hub, known);
  for (const embargo of hub.store.embargoes.list()) {
    const changed = known.get(embargo.id) !== embargo.barJson;
    known.set(embargo.id, embargo.barJson);
    if (!embargo.barJson || !changed) continue;
    for (const bundle of hub.store.bundles.byEmbargo(embargo.id)) judgeBundle(hub, bundle.id, { now });
  }
}

/** After a bar's deadline: judges once more every bundle of it not yet met or failed. */
export function judgeDeadlines(hub: Hub, now: number): void {
  const { store } = hub;
  for (const embargo of store.embargoes.list()) {
    if (!embargo.barJson) continue;
    const bar = barFromJson(embargo.barJson, embargo.name);
    if (bar.deadlineMs === null || bar.deadlineMs >= now) continue;
    for (const bundle of store.bundles.byEmbargo(embargo.id)) {
      const judged = store.barVerdicts.get(bundle.id);
      if (judged === null || judged === 'pending') judgeBundle(hub, bundle.id, { now });
    }
  }
}
