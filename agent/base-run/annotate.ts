// Puts the base's statuses beside the series' in the stages an agent signs. Pure.
import { statusFromProto } from '../../shared/status.js';
import type { StageInit } from '../pipeline/stages.js';
import type { BaseEntry } from './cache.js';

/** A base outcome of one workload stage, and whether it came from the cache. */
export interface BaseOutcome extends BaseEntry {
  cached: boolean;
}

/** The status a case absent from the base run gets: it never ran there. */
export const ABSENT_ON_BASE = 'MISS';

/**
 * Each stage with a base outcome gets `baseStatus` and `baseCached`, and each of its cases the
 * status of the same case on the base (ABSENT_ON_BASE when the base run had no such case).
 */
export function annotateStages(stages: readonly StageInit[], base: ReadonlyMap<string, BaseOutcome>): StageInit[] {
  return stages.map((stage) => {
    const outcome = base.get(stage.name ?? '');
    if (!outcome) return stage;
    const byName = new Map(outcome.cases.map((testCase) => [testCase.name, testCase.status]));
    return {
      ...stage,
      baseStatus: outcome.status,
      baseCached: outcome.cached,
      cases: (stage.cases ?? []).map((testCase) => ({ ...testCase, baseStatus: byName.get(testCase.name ?? '') ?? ABSENT_ON_BASE })),
    };
  });
}

/** The base entry of one workload stage a base pipeline produced. */
export function entryOf(stage: StageInit, ranAtMs: number): BaseEntry {
  return {
    status: statusFromProto(stage.status!),
    cases: (stage.cases ?? []).map((testCase) => ({ name: testCase.name ?? '', status: statusFromProto(testCase.status!) })),
    ranAtMs,
  };
}
