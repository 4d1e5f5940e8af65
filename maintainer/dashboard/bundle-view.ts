// What the bundle page shows, from the maintainer client's outputs: the report JSON, the status
// snapshot (with notified stages), and the verified results. Filters applied here. Pure.
import type { darkroom } from '../../proto/darkroom.js';
import type { Status } from '../../shared/status.js';
import { statusFromProto } from '../../shared/status.js';
import type { CountsJson, FailureJson, ReportJson } from '../render/report-json.js';
import { cellStatus } from '../render/report-json.js';
import { latestPerJob, type VerifiedResult } from '../trailers.js';
import { keepsColumn, type Filters } from './filters.js';

/** How a case compares with the unpatched base. */
export type CaseClass = 'regression' | 'pre-existing' | 'new case' | 'fixed';

/** regression: passed on the base; pre-existing: failed there too; new case: not on the base; fixed: failed there, passes now. */
export function classifyCase(status: Status, baseStatus: Status | null): CaseClass | null {
  if (status === 'PASS') return baseStatus === 'FAIL' ? 'fixed' : null;
  if (status !== 'FAIL') return null;
  if (baseStatus === null) return 'new case';
  return baseStatus === 'FAIL' ? 'pre-existing' : baseStatus === 'PASS' ? 'regression' : null;
}

/** Agents listed per table on one page; the filters reach the rest (keeps a 1,000-agent page small). */
export const MAX_TABLE_ROWS = 200;

/** Worst first, as a maintainer reads them: failures, then errors and misses, then the rest. */
const STATUS_ORDER: Record<Status, number> = { FAIL: 0, ERROR: 1, MISS: 2, DONE: 3, SKIP: 4, PASS: 5 };

export interface BundleData {
  report: ReportJson;
  status: darkroom.v1.BundleStatus.$Properties;
  results: readonly VerifiedResult[];
  refused: readonly string[];
}

export interface MatrixCell {
  column: string;
  status: Status | null;
  counts: CountsJson;
}

export interface MatrixRow {
  hardwareClass: string;
  agents: number;
  cells: MatrixCell[];
}

export interface FailureRow extends FailureJson {
  caseClass: CaseClass | null;
  jobId: string | null;
}

export interface JobRow {
  jobId: string;
  agent: string;
  hardwareClass: string;
  tree: string;
  attempt: number;
  status: Status;
  /** Milliseconds per report column the job ran; absent where it did not. */
  durations: Record<string, number>;
  stageStatus: Record<string, Status>;
  totalMs: number;
}

export interface WaitingRow {
  jobId: string;
  agent: string;
  hardwareClass: string;
  tree: string;
  state: string;
  stage: string;
  running: string[];
}

export interface BundleView {
  bundleId: string;
  embargo: string;
  complete: boolean;
  status: Status | null;
  columns: string[];
  rows: MatrixRow[];
  failures: FailureRow[];
  fixed: string[];
  jobs: JobRow[];
  waiting: WaitingRow[];
  /** How many rows each table had before MAX_TABLE_ROWS cut it. */
  totals: { jobs: number; waiting: number };
  refused: readonly string[];
  bar: unknown;
  /** The values each filter can take, from the unfiltered data. */
  choices: { classes: string[]; trees: string[]; workloads: string[] };
}

function statusOf(value: number | null | undefined): Status | null {
  return value ? statusFromProto(value) : null;
}

function jobRow(result: VerifiedResult): JobRow {
  const r = result.parts.result;
  const durations: Record<string, number> = {};
  const stageStatus: Record<string, Status> = {};
  for (const stage of r.stages) {
    const name = stage.name ?? '';
    durations[name] = Number(stage.durationMs ?? 0);
    const status = statusOf(stage.status);
    if (status) stageStatus[name] = status;
  }
  return {
    jobId: r.jobId, agent: result.agent, hardwareClass: r.hardwareClass, tree: r.tree, attempt: r.attempt,
    status: statusOf(r.status) ?? 'MISS', durations, stageStatus, totalMs: Math.max(0, Number(r.finishedAtMs) - Number(r.startedAtMs)),
  };
}

function fixedCases(bar: unknown): string[] {
  const classification = (bar as { classification?: { fixedCases?: unknown } } | null)?.classification;
  return Array.isArray(classification?.fixedCases) ? classification.fixedCases.filter((name): name is string => typeof name === 'string') : [];
}

function rowHasStatus(row: MatrixRow, status: Status): boolean {
  return row.cells.some((cell) => cell.counts[status.toLowerCase() as keyof CountsJson] > 0);
}

/** The bundle page's content, filtered. */
export function bundleView(data: BundleData, filters: Filters): BundleView {
  const { report } = data;
  const jobs = latestPerJob(data.results).map(jobRow);
  const resulted = new Set(jobs.map((job) => job.jobId));
  const treesOf = new Map<string, Set<string>>();
  for (const job of data.status.jobs ?? []) treesOf.set(job.agent ?? '', (treesOf.get(job.agent ?? '') ?? new Set()).add(job.tree ?? ''));
  const jobOfAgent = new Map(jobs.map((job) => [job.agent, job.jobId]));
  const byClass = (hardwareClass: string) => !filters.hardwareClass || hardwareClass === filters.hardwareClass;
  const byTree = (agent: string, tree?: string) => !filters.tree || (tree !== undefined ? tree === filters.tree : treesOf.get(agent)?.has(filters.tree) === true);
  const byWorkload = (column: string) => keepsColumn(filters, column);
  const byStatus = (status: Status | null) => !filters.status || status === filters.status;

  const columns = report.columns.filter(byWorkload);
  const rows: MatrixRow[] = report.rows.filter((row) => byClass(row.hardwareClass)).map((row) => ({
    hardwareClass: row.hardwareClass,
    agents: row.agents,
    cells: row.cells.filter((cell) => byWorkload(cell.column)).map((cell) => ({ column: cell.column, status: cellStatus(cell.counts), counts: cell.counts })),
  })).filter((row) => !filters.status || rowHasStatus(row, filters.status));

  const failures = report.failures
    .filter((failure) => byClass(failure.hardwareClass) && byTree(failure.agent) && byWorkload(failure.column) && byStatus(failure.status))
    .map((failure) => ({ ...failure, caseClass: classifyCase(failure.status, failure.baseStatus), jobId: jobOfAgent.get(failure.agent) ?? null }));

  const waiting: WaitingRow[] = (data.status.jobs ?? [])
    .filter((job) => !resulted.has(job.jobId ?? ''))
    .map((job) => ({
      jobId: job.jobId ?? '', agent: job.agent ?? '', hardwareClass: job.hardwareClass ?? '', tree: job.tree ?? '', state: job.state ?? '', stage: job.stage ?? '',
      running: (job.stages ?? []).filter((stage) => stage.running).map((stage) => stage.name ?? ''),
    }))
    .filter((job) => byClass(job.hardwareClass) && byTree(job.agent, job.tree) && !filters.status);

  const shownJobs = jobs.filter((job) => byClass(job.hardwareClass) && byTree(job.agent, job.tree) && byStatus(job.status))
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.hardwareClass.localeCompare(b.hardwareClass) || a.agent.localeCompare(b.agent));
  const workloads = report.columns.filter((column) => column.startsWith('workload:')).map((column) => column.slice('workload:'.length));
  return {
    bundleId: report.bundleId,
    embargo: report.embargo,
    complete: report.complete,
    status: report.status,
    columns,
    rows,
    failures,
    fixed: filters.status && filters.status !== 'PASS' ? [] : fixedCases(report.bar),
    jobs: shownJobs.slice(0, MAX_TABLE_ROWS),
    waiting: waiting.slice(0, MAX_TABLE_ROWS),
    totals: { jobs: shownJobs.length, waiting: waiting.length },
    refused: data.refused,
    bar: report.bar,
    choices: {
      classes: report.rows.map((row) => row.hardwareClass).sort(),
      trees: [...new Set((data.status.jobs ?? []).map((job) => job.tree ?? ''))].filter(Boolean).sort(),
      workloads,
    },
  };
}
