// The ingest baseline: the least any coordinator must do per result, measured on the very bytes
// the light agents sent — decode, Ed25519 verify, result id, and a batched insert into a WAL
// database with the coordinator's durable settings (synchronous FULL).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { darkroom } from '../proto/darkroom.js';
import { nacl, verifyLabelled } from '../shared/crypto/index.js';
import { resultId } from '../shared/result.js';
import { seconds } from './measure.js';

/** Results per transaction in the baseline. */
export const BASELINE_BATCH = 256;

/** Verified and stored results per second of wall time, and per second of this process's CPU time. */
export async function ingestBaselinePerSecond(dir: string, signed: readonly Uint8Array[]): Promise<{ perSecond: number; perCpuSecond: number }> {
  const db = new Database(join(dir, 'baseline.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE results (job_id TEXT NOT NULL, attempt INTEGER NOT NULL, result_id TEXT NOT NULL UNIQUE, signed BLOB NOT NULL, status TEXT NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (job_id, attempt))');
    const insert = db.prepare('INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)');
    const insertBatch = db.transaction((rows: ReadonlyArray<[string, number, string, Uint8Array, string, number]>) => {
      for (const row of rows) insert.run(...row);
    });
    const cpuBefore = process.cpuUsage();
    const elapsed = await seconds(() => {
      for (let start = 0; start < signed.length; start += BASELINE_BATCH) {
        const rows = signed.slice(start, start + BASELINE_BATCH).map((bytes) => {
          const envelope = darkroom.v1.SignedResult.decode(bytes);
          const result = darkroom.v1.Result.decode(envelope.result);
          if (!verifyLabelled(nacl, 'result', envelope.result, envelope.signature, result.agentSignKey)) throw new Error(`Result for job ${result.jobId} does not verify: the baseline needs valid results`);
          return [result.jobId, result.attempt, resultId(envelope.result), bytes, darkroom.v1.Status[result.status] ?? '', Date.now()] as [string, number, string, Uint8Array, string, number];
        });
        insertBatch.immediate(rows);
      }
    });
    const cpu = process.cpuUsage(cpuBefore);
    return { perSecond: signed.length / elapsed, perCpuSecond: signed.length / ((cpu.user + cpu.system) / 1e6) };
  } finally {
    db.close();
  }
}
