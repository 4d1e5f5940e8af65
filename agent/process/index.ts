// Process-level building blocks of the agent: run one stage command, kill its whole tree, keep
// its output in a bounded log. Used by the job pipeline; knows nothing of jobs or bundles.
export { runCommand, RUN_MARKER_ENV, OUTPUT_DRAIN_MS, type RunOptions, type RunResult, type RunTracker } from './run-command.js';
export { findLeftovers, killLeftovers, LEFTOVER_KILL_ROUNDS, type RecordedTree } from './leftovers.js';
export { terminateTree, collectTree, KILL_GRACE_MS, type ProcessTree, type TerminateOptions, type TerminateReport } from './kill-tree.js';
export { LogCapture, LOG_KEEP_BYTES, OUTPUT_TAIL_BYTES, type LogCaptureOptions } from './log-capture.js';
