// What every workload parser returns: test cases with KCIDB statuses, and why a run is doubtful.
import { rollUp, type Status } from '../../shared/status.js';

export const WORKLOAD_FORMATS = ['exit-code', 'tap', 'ktap', 'ltp', 'junit'] as const;
export type WorkloadFormat = (typeof WORKLOAD_FORMATS)[number];

export interface CaseResult {
  /** Dotted path below the workload, e.g. `suite.subtest.case`; see names.ts. */
  name: string;
  status: Status;
  durationMs?: number;
}

export interface ParsedWorkload {
  /** Roll-up of the cases, and at least ERROR when there are problems. */
  status: Status;
  cases: CaseResult[];
  /**
   * Why the output cannot be taken at its word (no results, a plan not met, a bail-out, bad XML).
   * Each one is an ERROR: the harness failed, which says nothing about the code under test.
   */
  problems: string[];
}

/** Assembles a result: names made unique, status rolled up, ERROR when anything was doubtful. */
export function parsed(cases: CaseResult[], problems: string[]): ParsedWorkload {
  const unique = uniqueNames(cases);
  const statuses = unique.map((item) => item.status);
  return { status: rollUp(problems.length > 0 ? [...statuses, 'ERROR'] : statuses), cases: unique, problems };
}

function uniqueNames(cases: CaseResult[]): CaseResult[] {
  const seen = new Map<string, number>();
  return cases.map((item) => {
    const count = (seen.get(item.name) ?? 0) + 1;
    seen.set(item.name, count);
    return count === 1 ? item : { ...item, name: `${item.name}_${count}` };
  });
}
