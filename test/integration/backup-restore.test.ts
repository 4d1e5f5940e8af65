// Backup under load and restore (docs/operations.md): light agents send results to
// `darkroom coordinator serve`; `darkroom coordinator backup` copies its data directory while
// results keep arriving; the coordinator is killed (SIGKILL), `darkroom coordinator restore`
// makes a new data directory, and a coordinator serving it on the same port is reached again by
// the agents. Every result stored before the backup began is in the restored store, counted once,
// and the audit chain is intact.
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertAuditIntact } from '../../coordinator/admin/audit.js';
import { Store } from '../../coordinator/store/store.js';
import { runCli } from '../support/agent-process.js';
import { startCoordinatorChild } from '../support/coordinator-child.js';
import { submittedLoadRun } from '../support/load-run.js';

const AGENTS = 60;
const TREE = 'linux-6.1.y';
/** Results keep arriving before, during and after the backup. */
const WORK_MS: [number, number] = [300, 30_000];

function storedResults(dataDir: string, bundleId: string): Map<string, string> {
  const store = Store.open(dataDir);
  try {
    return new Map(store.results.byBundle(bundleId).map((r) => [r.resultId, r.jobId]));
  } finally {
    store.close();
  }
}

test('a backup taken under load restores into a new data directory with every earlier result and an intact audit chain', { timeout: 240_000 }, async (t) => {
  const { run, submitted } = await submittedLoadRun(t, { prefix: 'dr-backup-', agents: AGENTS, tree: TREE, workMs: WORK_MS });
  const { dir } = run;
  await run.fleet.waitFor('a quarter of the results acknowledged', (s) => s.acked >= AGENTS / 4);

  const beforeBackup = storedResults(run.dataDir, submitted.bundleId);
  const backupDir = join(dir, 'backup');
  const backup = await runCli(['coordinator', 'backup', '--data', run.dataDir, '--to', backupDir]);
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /Backup written to/);
  const atBackupEnd = await run.fleet.status();
  assert.ok(atBackupEnd.acked < AGENTS, `results were still arriving when the backup was taken (${atBackupEnd.acked} of ${AGENTS})`);
  assert.equal((await stat(join(backupDir, 'identity.key'))).mode & 0o077, 0, 'the key in the backup is private');
  assert.deepEqual(await readdir(join(backupDir, 'bundles')), [`${submitted.bundleId}.payload`], 'the bundle\'s ciphertext is in the backup');

  await run.coordinator.kill();
  const restoredDir = join(dir, 'restored', 'coordinator');
  const restore = await runCli(['coordinator', 'restore', '--from', backupDir, '--data', restoredDir]);
  assert.equal(restore.code, 0, restore.stderr);
  assert.match(restore.stdout, /audit chain is intact/);
  const again = await runCli(['coordinator', 'restore', '--from', backupDir, '--data', restoredDir]);
  assert.equal(again.code, 1, 'a restore never writes over a data directory');
  assert.match(again.stderr, /RESTORE_TARGET_EXISTS/);

  const connectsBefore = (await run.fleet.status()).connects;
  run.coordinator = await startCoordinatorChild(restoredDir, { port: run.coordinator.port });
  await run.fleet.waitFor('every agent reconnected to the restored coordinator', (s) => s.connects >= connectsBefore + AGENTS && s.connected === AGENTS);

  const restored = storedResults(restoredDir, submitted.bundleId);
  for (const [resultId, jobId] of beforeBackup) assert.equal(restored.get(resultId), jobId, `result ${resultId} stored before the backup is restored`);
  const store = Store.open(restoredDir);
  try {
    assert.ok(assertAuditIntact(store).checked > 0, 'the restored audit chain is intact');
    const results = store.results.byBundle(submitted.bundleId);
    assert.equal(new Set(results.map((r) => r.jobId)).size, results.length, 'no job counted twice');
  } finally {
    store.close();
  }
});
