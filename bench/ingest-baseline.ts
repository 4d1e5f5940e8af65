// The ingest baseline: the least any coordinator must do per result, measured on the very bytes
// the light agents sent, in one process with no network — decode, Ed25519 verify, result id, and
// a batched insert (bench/ingest-work.ts).
import { join } from 'node:path';
import { openResultTable, verifiedRow } from './ingest-work.js';
import { seconds } from './measure.js';

/** Results per transaction in the baseline. */
export const BASELINE_BATCH = 256;

/** Verified and stored results per second of wall time, and per second of this process's CPU time. */
export async function ingestBaselinePerSecond(dir: string, signed: readonly Uint8Array[]): Promise<{ perSecond: number; perCpuSecond: number }> {
  const table = openResultTable(join(dir, 'baseline.db'));
  try {
    const cpuBefore = process.cpuUsage();
    const elapsed = await seconds(() => {
      for (let start = 0; start < signed.length; start += BASELINE_BATCH) table.insertBatch(signed.slice(start, start + BASELINE_BATCH).map(verifiedRow));
    });
    const cpu = process.cpuUsage(cpuBefore);
    return { perSecond: signed.length / elapsed, perCpuSecond: signed.length / ((cpu.user + cpu.system) / 1e6) };
  } finally {
    table.close();
  }
}
