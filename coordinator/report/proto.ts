// A report as the wire carries it to maintainers (darkroom.v1.Report).
import { darkroom } from '../../proto/darkroom.js';
import { statusToProto } from '../../shared/status.js';
import type { Report } from './aggregate.js';

export interface ReportContext {
  bundleId: string;
  embargo: string;
  /** JSON of the quality-bar verdict; empty when the embargo has no bar. */
  barVerdictJson?: string;
}

export function reportToProto(report: Report, context: ReportContext): darkroom.v1.Report {
  return darkroom.v1.Report.create({
    bundleId: context.bundleId,
    embargo: context.embargo,
    columns: report.columns,
    rows: report.rows.map((row) => darkroom.v1.ReportRow.create({
      hardwareClass: row.hardwareClass,
      agents: row.agents,
      cells: row.cells.map((cell) => darkroom.v1.ReportCell.create({ column: cell.column, counts: darkroom.v1.Counts.create({ ...cell.counts }) })),
    })),
    failures: report.failures.map((failure) => darkroom.v1.FailingCase.create({
      hardwareClass: failure.hardwareClass,
      agent: failure.agent,
      column: failure.column,
      status: statusToProto(failure.status),
      jobId: failure.jobId,
      attempt: failure.attempt,
      cases: failure.cases,
    })),
    complete: report.complete,
    status: statusToProto(report.status),
    barVerdictJson: context.barVerdictJson ?? '',
  });
}
