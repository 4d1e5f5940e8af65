// A bundle's report: one row per hardware class, one column per stage (apply, build, boot, then
// each workload), each cell counting jobs by outcome; the failing stages with how many of their
// cases failed (never a case name: those are sealed to maintainers); an overall verdict. Pure.
import { rollUp, type Status } from '../../shared/status.js';

export const FIXED_COLUMNS = ['apply', 'build', 'boot'] as const;
export const WORKLOAD_COLUMN_PREFIX = 'workload:';

/** `miss` and `missed` are both accepted: the job never ran (lost agent, queue time-out). */
export type JobState = 'queued' | 'offered' | 'running' | 'done' | 'lost' | 'cancelled' | 'miss' | 'missed';

export interface StageOutcome {
  /** apply | build | boot | workload:<name> */
  name: string;
  status: Status;
  /** Cases that failed or errored, as the agent counted and signed them. */
  failingCases: number;
}

export interface JobOutcome {
  jobId: string;
  /** The attempt whose result the stages come from. */
  attempt: number;
  agent: string;
  hardwareClass: string;
  tree: string;
  state: JobState;
  /** Read for done jobs only; any other state counts the same in every column. */
  stages: readonly StageOutcome[];
}

export interface Counts {
  pass: number;
  fail: number;
  error: number;
  miss: number;
  skip: number;
  done: number;
  running: number;
  pending: number;
}

export type CountKey = keyof Counts;

export interface ReportCell {
  column: string;
  counts: Counts;
}

export interface ReportRow {
  hardwareClass: string;
  /** Distinct agents with a job in this class. */
  agents: number;
  cells: ReportCell[];
}

/**
 * A stage of a done job that failed or errored, or in which cases did: `cases` of them (0 when the
 * stage itself failed with no case). The maintainer's client names the cases from the sealed details.
 */
export interface FailingStage {
  hardwareClass: string;
  agent: string;
  column: string;
  jobId: string;
  attempt: number;
  status: Status;
  cases: number;
}

export interface Report {
  columns: string[];
  rows: ReportRow[];
  failures: FailingStage[];
  /** True when no job is queued, offered or running. */
  complete: boolean;
  /** Roll-up of every counted verdict (FAIL > ERROR > MISS > PASS > DONE > SKIP); SKIP when none. */
  status: Status;
}

const STATUS_COUNT: Record<Status, CountKey> = { PASS: 'pass', FAIL: 'fail', ERROR: 'error', MISS: 'miss', SKIP: 'skip', DONE: 'done' };
const COUNT_STATUS = new Map<CountKey, Status>(Object.entries(STATUS_COUNT).map(([status, key]) => [key, status as Status]));

/**
 * How a job that is not done counts in every column. A cancelled job was deliberately not run
 * (the embargo was withdrawn or closed): SKIP, which never outranks a verdict.
 */
const NOT_DONE: Record<Exclude<JobState, 'done'>, CountKey> = {
  queued: 'pending', offered: 'running', running: 'running', lost: 'miss', miss: 'miss', missed: 'miss', cancelled: 'skip',
};

export function emptyCounts(): Counts {
  return { pass: 0, fail: 0, error: 0, miss: 0, skip: 0, done: 0, running: 0, pending: 0 };
}

/** apply, build, boot, then every other column seen or expected, sorted. */
export function columnsOf(jobs: readonly JobOutcome[], workloads: readonly string[] = []): string[] {
  const others = new Set(workloads.map((name) => `${WORKLOAD_COLUMN_PREFIX}${name}`));
  for (const job of jobs) if (job.state === 'done') for (const stage of job.stages) others.add(stage.name);
  for (const fixed of FIXED_COLUMNS) others.delete(fixed);
  return [...FIXED_COLUMNS, ...[...others].sort()];
}

/** Which count a job adds to a column: its stage's status when done (SKIP if it has none). */
function countKeyOf(job: JobOutcome, column: string): CountKey {
  if (job.state !== 'done') return NOT_DONE[job.state];
  const stage = job.stages.find((candidate) => candidate.name === column);
  return STATUS_COUNT[stage?.status ?? 'SKIP'];
}

function failuresOf(job: JobOutcome): FailingStage[] {
  if (job.state !== 'done') return [];
  const at = { hardwareClass: job.hardwareClass, agent: job.agent, jobId: job.jobId, attempt: job.attempt };
  return job.stages
    .filter((stage) => stage.failingCases > 0 || stage.status === 'FAIL' || stage.status === 'ERROR')
    .map((stage) => ({ ...at, column: stage.name, status: stage.status, cases: stage.failingCases }));
}

function compareFailures(columns: readonly string[]) {
  return (a: FailingStage, b: FailingStage): number =>
    a.hardwareClass.localeCompare(b.hardwareClass) || a.agent.localeCompare(b.agent) || columns.indexOf(a.column) - columns.indexOf(b.column) || a.jobId.localeCompare(b.jobId);
}

/** The statuses a set of counts holds, each once, for the roll-up. */
function statusesIn(counts: Counts): Status[] {
  return [...COUNT_STATUS].filter(([key]) => counts[key] > 0).map(([, status]) => status);
}

/**
 * Aggregates the jobs of one bundle. `workloads` names the columns the bundle asked for, so they
 * show before any job has finished.
 */
export function aggregate(jobs: readonly JobOutcome[], options: { workloads?: readonly string[] } = {}): Report {
  const columns = columnsOf(jobs, options.workloads);
  const classes = [...new Set(jobs.map((job) => job.hardwareClass))].sort();
  const rows = classes.map((hardwareClass): ReportRow => {
    const members = jobs.filter((job) => job.hardwareClass === hardwareClass);
    const cells = columns.map((column): ReportCell => {
      const counts = emptyCounts();
      for (const job of members) counts[countKeyOf(job, column)] += 1;
      return { column, counts };
    });
    return { hardwareClass, agents: new Set(members.map((job) => job.agent)).size, cells };
  });
  const allCells = rows.flatMap((row) => row.cells.map((cell) => cell.counts));
  return {
    columns,
    rows,
    failures: jobs.flatMap(failuresOf).sort(compareFailures(columns)),
    complete: allCells.every((counts) => counts.running === 0 && counts.pending === 0),
    status: rollUp(allCells.flatMap(statusesIn)),
  };
}
