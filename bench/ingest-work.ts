// The work the ingest baselines do per result, shared by the in-process baseline and the
// networked floor: decode, Ed25519 verify, result id, and a batched insert into a WAL database
// with the coordinator's durable settings (synchronous FULL).
import Database from 'better-sqlite3';
import { darkroom } from '../proto/darkroom.js';
import { nacl, verifyLabelled } from '../shared/crypto/index.js';
import { resultId } from '../shared/result.js';

export type ResultRow = [jobId: string, attempt: number, resultId: string, signed: Uint8Array, status: string, receivedAt: number];

/** A verified result's row; throws on one that does not verify (the baselines need valid results). */
export function verifiedRow(bytes: Uint8Array): ResultRow {
  const envelope = darkroom.v1.SignedResult.decode(bytes);
  const result = darkroom.v1.Result.decode(envelope.result);
  if (!verifyLabelled(nacl, 'result', envelope.result, envelope.signature, result.agentSignKey)) throw new Error(`Result for job ${result.jobId} does not verify: the baseline needs valid results`);
  return [result.jobId, result.attempt, resultId(envelope.result), bytes, darkroom.v1.Status[result.status] ?? '', Date.now()];
}

export interface ResultTable {
  /** Inserts the rows in one transaction: one fsync. */
  insertBatch(rows: readonly ResultRow[]): void;
  close(): void;
}

/** A fresh database at `path` with one results table keyed as the coordinator's. */
export function openResultTable(path: string): ResultTable {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE results (job_id TEXT NOT NULL, attempt INTEGER NOT NULL, result_id TEXT NOT NULL UNIQUE, signed BLOB NOT NULL, status TEXT NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (job_id, attempt))');
  const insert = db.prepare('INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)');
  const insertBatch = db.transaction((rows: readonly ResultRow[]) => {
    for (const row of rows) insert.run(...row);
  });
  return { insertBatch: (rows) => insertBatch.immediate(rows), close: () => db.close() };
}
