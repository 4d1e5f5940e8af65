// Case names put back into what the coordinator judged without them: its failing stages become
// failing cases, and the quality bar's broken entries and fixed stages name their cases, from the
// results' sealed details opened in this home (maintainer/details.ts). Pure.
import { darkroom } from '../proto/darkroom.js';
import { statusFromProto, type Status } from '../shared/status.js';
import type { OpenedResult } from './details.js';
import type { BrokenJson } from './render/bar.js';

type FailingCase = darkroom.v1.FailingCase.$Properties;
type StageResult = darkroom.v1.StageResult.$Properties;

/** Finds the opened result of one attempt of a job. */
export type ResultLookup = (jobId: string, attempt: number) => OpenedResult | undefined;

/** The stage of an opened result whose details were opened; undefined otherwise. */
function openedStage(lookup: ResultLookup, jobId: string, attempt: number | null, column: string): StageResult | undefined {
  const opened = attempt === null ? undefined : lookup(jobId, attempt);
  if (!opened || opened.problem !== null) return undefined;
  return opened.stages.find((stage) => stage.name === column);
}

const isFailing = (status: number | null | undefined) => status === darkroom.v1.Status.FAIL || status === darkroom.v1.Status.ERROR;

/**
 * Each failing stage the coordinator listed, as today's failing cases: one entry per failing or
 * erroring case, sorted by name, with its base status; the stage alone (empty case) when no case
 * failed. A stage whose details this home cannot open stays as the coordinator listed it.
 */
export function nameFailures(failures: readonly FailingCase[], lookup: ResultLookup, columns: readonly string[]): FailingCase[] {
  const named = failures.flatMap((failure): FailingCase[] => {
    const stage = openedStage(lookup, failure.jobId ?? '', failure.attempt ?? 0, failure.column ?? '');
    if (!stage) return [failure];
    const at = { hardwareClass: failure.hardwareClass ?? '', agent: failure.agent ?? '', column: failure.column ?? '', jobId: failure.jobId ?? '', attempt: failure.attempt ?? 0 };
    const cases = (stage.cases ?? []).filter((testCase) => isFailing(testCase.status));
    if (cases.length === 0) return [{ ...at, caseName: '', status: failure.status ?? 0, baseStatus: '' }];
    return cases.map((testCase) => ({ ...at, caseName: testCase.name ?? '', status: testCase.status ?? 0, baseStatus: testCase.baseStatus ?? '' }));
  });
  return named.sort((a, b) => (a.hardwareClass ?? '').localeCompare(b.hardwareClass ?? '') || (a.agent ?? '').localeCompare(b.agent ?? '')
    || columns.indexOf(a.column ?? '') - columns.indexOf(b.column ?? '') || (a.caseName ?? '').localeCompare(b.caseName ?? ''));
}


interface FixedInJson {
  resultId?: string;
  jobId?: string;
  agent?: string;
  column?: string;
  cases?: number;
}

interface VerdictJson {
  broken?: BrokenJson[];
  classification?: { fixedCases?: string[]; fixedIn?: FixedInJson[] } | null;
  [key: string]: unknown;
}

/** Whether a FAIL case with this base status is broken for `reason` (coordinator/bar/evaluate.ts). */
function breaksFor(reason: string, base: string): boolean {
  if (reason === 'no base run') return true;
  if (reason === 'regression') return base === 'PASS';
  if (reason === 'new case fails') return base === 'MISS';
  return base !== 'PASS' && base !== 'FAIL' && base !== 'MISS';
}

/** The opened stage a bar entry points at, by its result id. */
function stageByResult(results: readonly OpenedResult[], resultId: string | undefined, column: string | undefined): StageResult | undefined {
  const opened = results.find((candidate) => candidate.verified.parts.resultId === resultId);
  if (!opened || opened.problem !== null) return undefined;
  return opened.stages.find((stage) => stage.name === column);
}

const statusWord = (value: number | null | undefined): Status => statusFromProto(value ?? 0);

/** One broken entry per case of a stage-and-reason entry; the entry as it is when its details are not open here. */
function nameBroken(entry: BrokenJson, results: readonly OpenedResult[]): BrokenJson[] {
  if (!entry.cases) return [entry];
  const stage = stageByResult(results, entry.resultId, entry.column);
  if (!stage) return [entry];
  const { cases: _count, ...rest } = entry;
  return (stage.cases ?? [])
    .filter((testCase) => statusWord(testCase.status) === 'FAIL' && breaksFor(entry.reason ?? '', testCase.baseStatus ?? ''))
    .map((testCase) => ({ ...rest, case: testCase.name ?? '', baseStatus: testCase.baseStatus || null }));
}

/** `agent column case` of each fixed case of a stage; null when its details are not open here. */
function nameFixed(entry: FixedInJson, results: readonly OpenedResult[]): string[] | null {
  const stage = stageByResult(results, entry.resultId, entry.column);
  if (!stage) return null;
  return (stage.cases ?? [])
    .filter((testCase) => statusWord(testCase.status) === 'PASS' && testCase.baseStatus === 'FAIL')
    .map((testCase) => `${entry.agent ?? ''} ${entry.column ?? ''} ${testCase.name ?? ''}`);
}

/**
 * The coordinator's darkroom.bar.v1 verdict with case names: each broken entry that counts cases
 * becomes one entry per case, and `fixedCases` lists the fixed cases of the stages `fixedIn`
 * names. `fixedIn` is kept only for the stages whose details could not be opened here.
 */
export function nameBarVerdict(verdict: unknown, results: readonly OpenedResult[]): unknown {
  if (typeof verdict !== 'object' || verdict === null) return verdict;
  const json = verdict as VerdictJson;
  const named: VerdictJson = { ...json };
  if (json.broken) named.broken = json.broken.flatMap((entry) => nameBroken(entry, results));
  const classification = json.classification;
  if (classification) {
    const fixedCases = [...(classification.fixedCases ?? [])];
    const unopened: FixedInJson[] = [];
    for (const entry of classification.fixedIn ?? []) {
      const names = nameFixed(entry, results);
      if (names) fixedCases.push(...names);
      else unopened.push(entry);
    }
    const { fixedIn: _fixedIn, ...rest } = classification;
    named.classification = { ...rest, fixedCases, ...(unopened.length > 0 ? { fixedIn: unopened } : {}) };
  }
  return named;
}
