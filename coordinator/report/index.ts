// Reports for maintainers: pass/fail per hardware class and stage, and the cases that failed.
export { FIXED_COLUMNS, WORKLOAD_COLUMN_PREFIX, aggregate, columnsOf, emptyCounts, type Counts, type CountKey, type FailingStage, type JobOutcome, type JobState, type Report, type ReportCell, type ReportRow, type StageOutcome } from './aggregate.js';
export { reportToProto, type ReportContext } from './proto.js';
