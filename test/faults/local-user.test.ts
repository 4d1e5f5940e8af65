// THREAT-MODEL 18 on a real agent process: another local user (`nobody`, by setpriv, as we are root)
// cannot read the agent's key, its outbox or a running job's workspace, though every directory above
// the state directory is open to all; with the memory-backed workspace, no plaintext line of the
// series is on persistent disk during or after the job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KEY_FILE_NAME } from '../../shared/identity.js';
import { OUTBOX_DIR_NAME } from '../../agent/daemon.js';
import { until } from '../support/demo-job.js';
import { mountTmpfs } from '../support/tmpfs.js';
import { assertNothingLeft, assertOneSignedResult, buildRunning, connected, demoPatchLines, FAULT_TEST_TIMEOUT_MS, filesHolding, rig, start } from '../support/agent-rig.js';

const run = promisify(execFile);
const OTHER_USER = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** Runs `command` as uid/gid 65534 (nobody); resolves with its exit code and stderr. */
async function asOtherUser(command: string[]): Promise<{ code: number; stderr: string }> {
  return run('setpriv', [...OTHER_USER, ...command]).then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }));
}

test('another local user cannot read the agent\'s key, outbox or a running job\'s workspace', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const r = await rig(t);
  await chmod(r.setup.dir, 0o755);
  start(r);
  await connected(r);
  const bundleId = await r.submit();
  await buildRunning(r.setup);
  const workspace = join(r.setup.stateDir, 'workspace');
  const [plaintext] = await filesHolding(workspace, await demoPatchLines());
  assert.ok(plaintext, 'a patched file exists while the job runs');
  assert.equal((await asOtherUser(['cat', r.setup.config])).code, 0, 'the other user can read what is not secret (the config)');

  const attempts = {
    'the key': ['cat', join(r.setup.stateDir, KEY_FILE_NAME)],
    'the outbox': ['ls', join(r.setup.stateDir, OUTBOX_DIR_NAME)],
    'the workspace': ['ls', workspace],
    'a patched file, by its path': ['cat', plaintext],
    'the state directory': ['ls', r.setup.stateDir],
  };
  for (const [what, command] of Object.entries(attempts)) {
    const outcome = await asOtherUser(command);
    assert.notEqual(outcome.code, 0, `nobody could read ${what}`);
    assert.match(outcome.stderr, /Permission denied/, `reading ${what} is refused by permissions`);
  }
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 120_000);
  assertOneSignedResult(r, bundleId);
  await assertNothingLeft(r);
});

test('with a memory-backed workspace no line of the series reaches persistent disk, during or after the job', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const memory = await mountTmpfs(t, { size: '64m', name: 'workspace' });
  const r = await rig(t, { workspaceTmpfs: memory });
  start(r);
  await connected(r);
  const bundleId = await r.submit();
  await buildRunning(r.setup, memory);
  const secrets = await demoPatchLines();
  assert.ok((await filesHolding(memory, secrets)).length > 0, 'the patched tree lives in memory while the job runs');
  assert.deepEqual(await filesHolding(r.setup.dir, secrets), [], 'nothing of the series below the agent\'s disk directory during the job');
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 120_000);
  assertOneSignedResult(r, bundleId);
  assert.deepEqual(await filesHolding(r.setup.dir, secrets), [], 'nor after it');
  assert.deepEqual(await filesHolding(memory, secrets), [], 'and the memory-backed workspace is wiped too');
  await assertNothingLeft(r);
});
