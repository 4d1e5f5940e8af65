// The stable `darkroom report --json` shape (docs/report-json.md) and the report's exit code.
import { darkroom } from '../../proto/darkroom.js';
import { DarkroomError, messageOf } from '../../shared/errors.js';
import { rollUp, statusFromProto, type Status } from '../../shared/status.js';

export type ReportErrorCode = 'REPORT_MALFORMED';

export class ReportError extends DarkroomError<ReportErrorCode> {}

/** Names this shape; bumped only on an incompatible change. */
export const REPORT_JSON_FORMAT = 'darkroom.report.v1';

export interface CountsJson {
  pass: number;
  fail: number;
  error: number;
  miss: number;
  skip: number;
  done: number;
  running: number;
  pending: number;
}

export const COUNT_KEYS: readonly (keyof CountsJson)[] = ['pass', 'fail', 'error', 'miss', 'skip', 'done', 'running', 'pending'];

export interface CellJson {
  column: string;
  /** Roll-up of the finished results in the cell; null while none has finished. */
  status: Status | null;
  counts: CountsJson;
}

export interface RowJson {
  hardwareClass: string;
  agents: number;
  /** One per report column, in column order. */
  cells: CellJson[];
}

/** regression: passes on the base, fails with the series; pre-existing: fails on the base too. */
export type FailureClass = 'regression' | 'pre-existing';

export interface FailureJson {
  hardwareClass: string;
  agent: string;
  column: string;
  case: string;
  status: Status;
  baseStatus: Status | null;
  classification: FailureClass | null;
}

export interface ReportJson {
  format: typeof REPORT_JSON_FORMAT;
  bundleId: string;
  embargo: string;
  complete: boolean;
  status: Status | null;
  columns: string[];
  rows: RowJson[];
  totals: CountsJson;
  failures: FailureJson[];
  /** The quality bar's verdict (docs/quality-bar.md), null when the embargo has no bar. */
  bar: unknown;
}

type ReportInput = darkroom.v1.Report.$Properties;

function countsJson(counts: darkroom.v1.Counts.$Properties | null | undefined): CountsJson {
  const result = {} as CountsJson;
  for (const key of COUNT_KEYS) result[key] = counts?.[key] ?? 0;
  return result;
}

/** KCIDB word of each finished count present, for a cell's roll-up. */
const FINISHED: ReadonlyArray<[keyof CountsJson, Status]> = [['pass', 'PASS'], ['fail', 'FAIL'], ['error', 'ERROR'], ['miss', 'MISS'], ['skip', 'SKIP'], ['done', 'DONE']];

export function cellStatus(counts: CountsJson): Status | null {
  const present = FINISHED.filter(([key]) => counts[key] > 0).map(([, status]) => status);
  return present.length === 0 ? null : rollUp(present);
}

function optionalStatus(value: number | null | undefined): Status | null {
  return value ? statusFromProto(value) : null;
}

function baseStatus(text: string | null | undefined, source: string): Status | null {
  if (!text) return null;
  try {
    return statusFromProto(darkroom.v1.Status[text as keyof typeof darkroom.v1.Status] ?? -1);
  } catch (cause) {
    throw new ReportError('REPORT_MALFORMED', `Report ${source} names base status '${text}', not a KCIDB word: update darkroom or the coordinator`, { cause });
  }
}

function classify(status: Status, base: Status | null): FailureClass | null {
  if (base === null || status !== 'FAIL') return null;
  return base === 'FAIL' ? 'pre-existing' : base === 'PASS' ? 'regression' : null;
}

function barJson(text: string | null | undefined, source: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ReportError('REPORT_MALFORMED', `Report ${source} carries a quality-bar verdict that is not JSON: ${messageOf(cause)}; update darkroom or the coordinator`, { cause });
  }
}

function rowJson(row: darkroom.v1.ReportRow.$Properties, columns: string[]): RowJson {
  const byColumn = new Map((row.cells ?? []).map((cell) => [cell.column ?? '', countsJson(cell.counts)]));
  return {
    hardwareClass: row.hardwareClass ?? '',
    agents: row.agents ?? 0,
    cells: columns.map((column) => {
      const counts = byColumn.get(column) ?? countsJson(null);
      return { column, status: cellStatus(counts), counts };
    }),
  };
}

/** Plain JSON for `darkroom report --json`: statuses as KCIDB words, every count present. */
export function reportToJson(report: ReportInput): ReportJson {
  const source = report.bundleId ?? '';
  const columns = [...(report.columns ?? [])];
  const rows = (report.rows ?? []).map((row) => rowJson(row, columns));
  const totals = countsJson(null);
  for (const cell of rows.flatMap((row) => row.cells)) for (const key of COUNT_KEYS) totals[key] += cell.counts[key];
  const failures = (report.failures ?? []).map((failure): FailureJson => {
    const status = statusFromProto(failure.status ?? 0);
    const base = baseStatus(failure.baseStatus, source);
    return { hardwareClass: failure.hardwareClass ?? '', agent: failure.agent ?? '', column: failure.column ?? '', case: failure.caseName ?? '', status, baseStatus: base, classification: classify(status, base) };
  });
  return {
    format: REPORT_JSON_FORMAT,
    bundleId: source,
    embargo: report.embargo ?? '',
    complete: report.complete ?? false,
    status: optionalStatus(report.status),
    columns,
    rows,
    totals,
    failures,
    bar: barJson(report.barVerdictJson, source),
  };
}

/** `darkroom report` exit codes: scripts tell "not yet" from "failed". */
export const REPORT_EXIT = { PASSED: 0, FAILED: 1, PENDING: 2 } as const;

/**
 * PASSED only when every job has ended, something passed, and nothing failed, errored or went
 * missing; FAILED as soon as any of those is true even while jobs still run; PENDING otherwise.
 */
export function reportExitCode(report: ReportInput): number {
  const json = reportToJson(report);
  const { totals } = json;
  if (totals.fail + totals.error + totals.miss > 0 || json.failures.length > 0) return REPORT_EXIT.FAILED;
  if (json.status === 'FAIL' || json.status === 'ERROR' || json.status === 'MISS') return REPORT_EXIT.FAILED;
  if (!json.complete || totals.running + totals.pending > 0) return REPORT_EXIT.PENDING;
  return totals.pass > 0 ? REPORT_EXIT.PASSED : REPORT_EXIT.FAILED;
}

/**
 * The report FAILED only on failures the unpatched base explains: every job ended, nothing
 * errored or went missing, each failing case failed on the base too, and the quality bar, which
 * asked for base runs, is met. The exit code stays FAILED; the summary line says why.
 */
export function onlyPreExistingFailures(report: ReportInput): boolean {
  const json = reportToJson(report);
  const { totals } = json;
  const bar = json.bar as { verdict?: unknown; classification?: unknown } | null;
  return reportExitCode(report) === REPORT_EXIT.FAILED
    && json.complete && totals.running + totals.pending === 0 && totals.error + totals.miss === 0
    && json.failures.length > 0 && json.failures.every((failure) => failure.classification === 'pre-existing')
    && bar !== null && bar.verdict === 'met' && typeof bar.classification === 'object' && bar.classification !== null;
}
