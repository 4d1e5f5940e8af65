// What the job page shows: the verified result's stages and cases, and the decrypted log files
// split into lines. Pure.
import { isStatus, statusFromProto, type Status } from '../../shared/status.js';
import type { JobLogs } from '../logs.js';
import type { VerifiedResult } from '../trailers.js';
import { classifyCase, type CaseClass } from './bundle-view.js';

/** A log file past this many lines shows its first lines and says how many more there are. */
export const MAX_LOG_LINES = 50_000;

export interface CaseRow {
  name: string;
  status: Status | null;
  baseStatus: Status | null;
  caseClass: CaseClass | null;
  durationMs: number;
}

export interface StageRow {
  name: string;
  status: Status | null;
  durationMs: number;
  reason: string;
  baseStatus: Status | null;
  cases: CaseRow[];
}

export interface LogFile {
  name: string;
  lines: string[];
  /** Lines not shown past MAX_LOG_LINES. */
  omitted: number;
}

export interface JobView {
  bundleId: string;
  jobId: string;
  agent: string;
  hardwareClass: string;
  tree: string;
  attempt: number;
  status: Status | null;
  resultId: string;
  signedBy: string;
  stages: StageRow[];
  logs: LogFile[];
}

function statusOf(value: number | null | undefined): Status | null {
  return value ? statusFromProto(value) : null;
}

function baseOf(text: string | null | undefined): Status | null {
  return isStatus(text) ? text : null;
}

/** Splits a log's bytes into lines (UTF-8, invalid bytes replaced), without a trailing empty line. */
export function logLines(content: Uint8Array): { lines: string[]; omitted: number } {
  const lines = Buffer.from(content).toString('utf8').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { lines: lines.slice(0, MAX_LOG_LINES), omitted: Math.max(0, lines.length - MAX_LOG_LINES) };
}

/** The job page's content; `result` is null while the job has none, `logs` holds its attempts' files. */
export function jobView(input: { bundleId: string; jobId: string; result: VerifiedResult | null; logs: readonly JobLogs[] }): JobView {
  const r = input.result?.parts.result;
  const newest = input.logs.reduce<JobLogs | null>((best, entry) => (!best || entry.attempt > best.attempt ? entry : best), null);
  return {
    bundleId: input.bundleId,
    jobId: input.jobId,
    agent: input.result?.agent ?? newest?.agent ?? '',
    hardwareClass: r?.hardwareClass ?? '',
    tree: r?.tree ?? '',
    attempt: r?.attempt ?? newest?.attempt ?? 0,
    status: statusOf(r?.status),
    resultId: input.result?.parts.resultId ?? '',
    signedBy: input.result?.fingerprint ?? '',
    stages: (r?.stages ?? []).map((stage) => ({
      name: stage.name ?? '',
      status: statusOf(stage.status),
      durationMs: Number(stage.durationMs ?? 0),
      reason: stage.reason ?? '',
      baseStatus: baseOf(stage.baseStatus),
      cases: (stage.cases ?? []).map((testCase) => {
        const status = statusOf(testCase.status);
        const baseStatus = baseOf(testCase.baseStatus);
        return { name: testCase.name ?? '', status, baseStatus, caseClass: status ? classifyCase(status, baseStatus) : null, durationMs: Number(testCase.durationMs ?? 0) };
      }),
    })),
    logs: (newest?.files ?? []).map((file) => ({ name: file.name, ...logLines(file.content) })),
  };
}
