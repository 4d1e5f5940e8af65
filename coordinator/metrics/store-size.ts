// The data directory's size on disk: the database file with its WAL, and the bundles' ciphertext.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLES_DIR } from '../store/bundles.js';
import { DATABASE_FILE_NAME } from '../store/database.js';
import type { Store } from '../store/store.js';

async function sizeOf(path: string): Promise<number> {
  return stat(path).then((info) => info.size, () => 0);
}

export async function storeSizeBytes(store: Store): Promise<{ database: number; bundles: number }> {
  const db = join(store.dataDir, DATABASE_FILE_NAME);
  const database = (await sizeOf(db)) + (await sizeOf(`${db}-wal`));
  const dir = join(store.dataDir, BUNDLES_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  let bundles = 0;
  for (const name of names) bundles += await sizeOf(join(dir, name));
  return { database, bundles };
}
