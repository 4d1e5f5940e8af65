// `coordinator init`: a fresh data directory with the coordinator's identity and database.
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint, generateIdentity, writeIdentity, KEY_FILE_NAME } from '../../shared/identity.js';
import { DATABASE_FILE_NAME } from '../store/database.js';
import { StoreError } from '../store/errors.js';
import { Store } from '../store/store.js';

export interface InitOutcome {
  dataDir: string;
  keyPath: string;
  databasePath: string;
  fingerprint: string;
}

/** Creates DIR (mode 0700), DIR/identity.key and DIR/coordinator.db; refuses to reuse either. */
export async function initCoordinator(dataDir: string): Promise<InitOutcome> {
  const databasePath = join(dataDir, DATABASE_FILE_NAME);
  if (existsSync(join(dataDir, KEY_FILE_NAME)) || existsSync(databasePath)) {
    throw new StoreError('STORE_EXISTS', `A coordinator already lives in ${dataDir}: keep it, or pick an empty directory for a new one`);
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const identity = generateIdentity();
  const keyPath = await writeIdentity(dataDir, identity);
  Store.open(dataDir, { create: true }).close();
  return { dataDir, keyPath, databasePath, fingerprint: fingerprint(identity) };
}
