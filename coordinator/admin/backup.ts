// `coordinator backup` and `coordinator restore`: a consistent copy of a data directory taken
// while `serve` runs (SQLite's online backup API, in one step so the copy is one snapshot), the
// bundles' ciphertext and the coordinator's key beside it; and a new data directory made from one,
// checked (audit chain, payload sizes) before it is handed back.
import { constants } from 'node:fs';
import { copyFile, chmod, mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarkroomError } from '../../shared/errors.js';
import { fingerprint, readIdentity, writeIdentity } from '../../shared/identity.js';
import { BUNDLES_DIR, payloadPath } from '../store/bundles.js';
import { DATABASE_FILE_MODE, DATABASE_FILE_NAME, schemaVersion } from '../store/database.js';
import { Store } from '../store/store.js';
import { assertAuditIntact } from './audit.js';

export const BACKUP_MANIFEST = 'backup.json';
export const BACKUP_FORMAT = 'darkroom.backup.v1';
/** Pages per backup step: all of them, so the copy is one read transaction and never restarts. */
const ALL_PAGES = 0x7fffffff;

export type BackupErrorCode = 'BACKUP_TARGET_EXISTS' | 'BACKUP_INVALID' | 'RESTORE_TARGET_EXISTS' | 'RESTORE_CHECK_FAILED';

export class BackupError extends DarkroomError<BackupErrorCode> {}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  /** When the snapshot was started: every commit before it is in the copy. */
  takenAtMs: number;
  fingerprint: string;
  schemaVersion: number;
  auditHead: { seq: number; hash: string } | null;
  results: number;
  bundles: number;
}

async function emptyOrMissing(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
  return names.length === 0;
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  await handle.sync().finally(() => handle.close());
}

/** Copies each bundle's payload (complete ones must be whole) from one data directory to another. */
async function copyPayloads(store: Store, from: string, to: string): Promise<number> {
  await mkdir(join(to, BUNDLES_DIR), { recursive: true, mode: 0o700 });
  const bundles = store.bundles.list();
  for (const bundle of bundles) {
    const source = payloadPath(from, bundle.id);
    const size = await stat(source).then((info) => info.size, () => null);
    if (size === null && !bundle.complete) continue;
    if (size === null || (bundle.complete && size !== bundle.payloadBytes)) {
      throw new BackupError('BACKUP_INVALID', `Payload of bundle ${bundle.id} in ${from} has ${size ?? 'no'} bytes, but its ${bundle.payloadBytes} were accepted: the data directory is damaged; keep it and investigate`);
    }
    await copyFile(source, payloadPath(to, bundle.id), constants.COPYFILE_EXCL);
    await chmod(payloadPath(to, bundle.id), 0o600);
  }
  return bundles.length;
}

/** Backs DATA up into TO (a new or empty directory) while the coordinator may be serving from DATA. */
export async function backupCoordinator(dataDir: string, to: string): Promise<BackupManifest> {
  if (!(await emptyOrMissing(to))) throw new BackupError('BACKUP_TARGET_EXISTS', `${to} is not empty: back up into a new directory, so no older backup is overwritten`);
  const identity = await readIdentity(dataDir);
  await mkdir(to, { recursive: true, mode: 0o700 });
  await chmod(to, 0o700);
  const partial = join(to, `${DATABASE_FILE_NAME}.partial`);
  const source = Store.open(dataDir);
  const takenAtMs = Date.now();
  try {
    await source.db.backup(partial, { progress: () => ALL_PAGES });
  } finally {
    source.close();
  }
  await chmod(partial, DATABASE_FILE_MODE);
  await syncFile(partial);
  await rename(partial, join(to, DATABASE_FILE_NAME));
  await writeIdentity(to, identity);
  const copy = Store.open(to);
  try {
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      takenAtMs,
      fingerprint: fingerprint(identity),
      schemaVersion: schemaVersion(copy.db),
      auditHead: copy.audit.head(),
      results: copy.results.count(),
      bundles: await copyPayloads(copy, dataDir, to),
    };
    await writeFile(join(to, BACKUP_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await syncFile(join(to, BACKUP_MANIFEST));
    return manifest;
  } finally {
    copy.close();
  }
}

async function readManifest(from: string): Promise<BackupManifest> {
  const text = await readFile(join(from, BACKUP_MANIFEST), 'utf8').catch(() => null);
  const manifest = text === null ? null : (JSON.parse(text) as Partial<BackupManifest>);
  if (manifest?.format !== BACKUP_FORMAT) throw new BackupError('BACKUP_INVALID', `${from} has no ${BACKUP_MANIFEST} of format ${BACKUP_FORMAT}: give the directory 'coordinator backup --to' made`);
  return manifest as BackupManifest;
}

/** Makes a new data directory from a backup and checks it: the key, the audit chain up to the recorded head, every payload. */
export async function restoreCoordinator(from: string, dataDir: string): Promise<BackupManifest> {
  const manifest = await readManifest(from);
  if (!(await emptyOrMissing(dataDir))) throw new BackupError('RESTORE_TARGET_EXISTS', `${dataDir} is not empty: restore into a new directory, and point 'coordinator serve --data' at it`);
  const identity = await readIdentity(from);
  if (fingerprint(identity) !== manifest.fingerprint) throw new BackupError('BACKUP_INVALID', `The key in ${from} is ${fingerprint(identity)}, but the backup was taken of ${manifest.fingerprint}: the backup was altered`);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  await writeIdentity(dataDir, identity);
  await copyFile(join(from, DATABASE_FILE_NAME), join(dataDir, DATABASE_FILE_NAME), constants.COPYFILE_EXCL);
  await chmod(join(dataDir, DATABASE_FILE_NAME), DATABASE_FILE_MODE);
  await syncFile(join(dataDir, DATABASE_FILE_NAME));
  const store = Store.open(dataDir);
  try {
    const verdict = assertAuditIntact(store);
    const head = store.audit.head();
    if (head?.hash !== manifest.auditHead?.hash) {
      throw new BackupError('RESTORE_CHECK_FAILED', `The restored audit log ends at ${head ? `row ${head.seq}` : 'no row'}, but the backup recorded ${manifest.auditHead ? `row ${manifest.auditHead.seq}` : 'no row'}: the backup's database was altered or truncated (${verdict.checked} rows intact)`);
    }
    await copyPayloads(store, from, dataDir);
  } finally {
    store.close();
  }
  return manifest;
}
