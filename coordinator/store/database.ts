// Opens the coordinator's SQLite file: WAL, durable commits, a busy time-out, schema migrations.
import { closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const DATABASE_FILE_NAME = 'coordinator.db';
/** Owner only; SQLite gives the -wal and -shm files the same mode. */
export const DATABASE_FILE_MODE = 0o600;
/** How long a writer waits for another process's write transaction before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;
/**
 * SQLite's page cache, in KiB (its default is 2 MiB). Ingest touches the jobs, results and audit
 * B-trees of thousands of jobs at once; with the default most of those pages are read again
 * from the file on every statement.
 */
export const PAGE_CACHE_KIB = 32 * 1024;

/**
 * FULL, not NORMAL: in WAL mode NORMAL can lose the last commits on power loss (not on a process
 * crash). The coordinator acknowledges a result only after it is committed, and an acknowledged
 * result is dropped from the agent's outbox, so a commit must survive power loss (promise 3).
 * The cost is one fsync of the WAL per commit; hot paths batch several rows per transaction.
 */
export const DEFAULT_SYNCHRONOUS = 'FULL';

export interface OpenOptions {
  /** Create the file when missing (init); otherwise a missing file is STORE_MISSING. */
  create?: boolean;
  synchronous?: 'NORMAL' | 'FULL';
  busyTimeoutMs?: number;
}

/** Opens (and migrates) the database at `path`. */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (!options.create && !existsSync(path)) {
    throw new StoreError('STORE_MISSING', `No coordinator database at ${path}: run 'darkroom coordinator init --data DIR' first, or check --data`);
  }
  if (!existsSync(path)) closeSync(openSync(path, 'wx', DATABASE_FILE_MODE));
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? DEFAULT_SYNCHRONOUS}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** The number of migrations applied to this file. */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies the migrations this file lacks, each with its version bump in one transaction. */
export function migrate(db: Db): number {
  const apply = db.transaction((index: number) => {
    if (schemaVersion(db) !== index) return;
    db.exec(MIGRATIONS[index]!);
    db.pragma(`user_version = ${index + 1}`);
  });
  const current = schemaVersion(db);
  if (current > MIGRATIONS.length) {
    throw new StoreError('STORE_TOO_NEW', `Database schema version ${current} is newer than this Darkroom knows (${MIGRATIONS.length}): upgrade Darkroom before opening it`);
  }
  for (let index = current; index < MIGRATIONS.length; index++) apply.immediate(index);
  return schemaVersion(db);
}

interface Savepoint {
  begin: Database.Statement;
  release: Database.Statement;
  rollbackTo: Database.Statement;
}

const savepoints = new WeakMap<Db, Savepoint>();

function savepointOf(db: Db): Savepoint {
  let savepoint = savepoints.get(db);
  if (!savepoint) {
    savepoint = { begin: db.prepare('SAVEPOINT darkroom_nested'), release: db.prepare('RELEASE darkroom_nested'), rollbackTo: db.prepare('ROLLBACK TO darkroom_nested') };
    savepoints.set(db, savepoint);
  }
  return savepoint;
}

const epochs = new WeakMap<Db, number>();

/**
 * A number that changes whenever a write transaction begins or ends and whenever a savepoint is
 * rolled back: what a store class read inside a write transaction is still what the database
 * holds while the epoch is unchanged (no other process writes during one, since it holds the
 * write lock). Outside a write transaction it means nothing.
 */
export function writeEpoch(db: Db): number {
  return epochs.get(db) ?? 0;
}

function nextEpoch(db: Db): void {
  epochs.set(db, writeEpoch(db) + 1);
}

/**
 * Runs `fn` in a write transaction taken at BEGIN IMMEDIATE, so two processes never both read
 * and then both try to write (which SQLite can only resolve with SQLITE_BUSY). Nested calls
 * become savepoints of the outer transaction: a nested call that throws undoes only its own
 * writes. The savepoint statements are prepared once per database, because the hot paths
 * (group commit, then each store call inside it) nest a savepoint per message.
 */
export function inWrite<T>(db: Db, fn: () => T): T {
  if (!db.inTransaction) {
    nextEpoch(db);
    try {
      return db.transaction(fn).immediate();
    } finally {
      nextEpoch(db);
    }
  }
  const savepoint = savepointOf(db);
  savepoint.begin.run();
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError('A write transaction cannot run asynchronous work: do the awaiting before or after it');
    savepoint.release.run();
    return result;
  } catch (error) {
    if (db.inTransaction) {
      savepoint.rollbackTo.run();
      savepoint.release.run();
    }
    nextEpoch(db);
    throw error;
  }
}
