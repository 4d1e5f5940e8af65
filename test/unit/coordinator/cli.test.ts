import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { generateIdentity } from '../../../shared/identity.js';
import { DATABASE_FILE_NAME } from '../../../coordinator/store/database.js';
import { Store } from '../../../coordinator/store/store.js';
import { tempDir } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../cli/main.js', import.meta.url));
const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function darkroom(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, 'coordinator', ...args], { env: { ...process.env, DARKROOM_LOG_LEVEL: 'silent' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test('init, token, embargo, revoke, status and audit verify as real processes', async (t) => {
  const data = join(await tempDir(t), 'coord');
  const init = await darkroom('init', '--data', data);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /^Coordinator fingerprint: DR1:[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/m);
  assert.match(init.stderr, /hint: .*coordinator token/);
  assert.equal((await stat(data)).mode & 0o777, 0o700);
  assert.equal((await darkroom('init', '--data', data)).code, 1, 'init refuses an existing coordinator');

  const token = await darkroom('token', '--data', data, '--role', 'tester', '--name', 'alice', '--groups', 'amd-lab', '--ttl', '2h', '--contact', 'Alice <a@example.org>');
  assert.equal(token.code, 0, token.stderr);
  assert.match(token.stdout, /^drt1_[A-Za-z0-9_-]{27}\n$/);
  const badRole = await darkroom('token', '--data', data, '--role', 'admin', '--name', 'x');
  assert.notEqual(badRole.code, 0);
  assert.match(badRole.stderr, /admin/);

  const store = Store.open(data);
  store.enrol({ token: token.stdout.trim(), role: 'agent', keys: generateIdentity(), declaration: { profile: {}, hardwareClass: 'x86_64-zen4', trees: ['linux-6.1.y'], workloads: [{ name: 'ltp', format: 'ltp' }], concurrency: 1 } }, Date.now());
  store.close();
  const maintainerToken = await darkroom('token', '--data', data, '--role', 'maintainer', '--name', 'mia');
  const m = Store.open(data);
  m.enrol({ token: maintainerToken.stdout.trim(), role: 'maintainer', keys: generateIdentity() }, Date.now());
  m.close();

  const bad = await darkroom('embargo', 'create', '--data', data, '--name', 'CVE-1', '--testers', '@amd-lab,ghost', '--maintainers', 'mia', '--until', '2099-01-01');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^darkroom: error: .*'ghost'.*\[EMBARGO_INVALID\]$/m);
  const created = await darkroom('embargo', 'create', '--data', data, '--name', 'CVE-1', '--testers', '@amd-lab', '--maintainers', 'mia', '--until', '2099-01-01');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /eligible testers now: alice/);
  const list = await darkroom('embargo', 'list', '--data', data, '--json');
  assert.deepEqual(JSON.parse(list.stdout).map((e: { name: string; state: string; eligibleTesters: string[] }) => [e.name, e.state, e.eligibleTesters]), [['CVE-1', 'active', ['alice']]]);
  assert.match((await darkroom('embargo', 'list', '--data', data)).stdout, /^NAME +STATE +UNTIL[\s\S]*CVE-1 +active/);

  const status = JSON.parse((await darkroom('status', '--data', data, '--json')).stdout);
  assert.deepEqual(status.agents.map((a: { name: string; connected: boolean; hardwareClass: string; trees: string[]; workloads: string[] }) => [a.name, a.connected, a.hardwareClass, a.trees, a.workloads]), [['alice', false, 'x86_64-zen4', ['linux-6.1.y'], ['ltp']]]);
  assert.equal(status.jobs.queued, 0);
  assert.equal(status.embargoes[0].state, 'active');
  assert.match((await darkroom('status', '--data', data)).stdout, /alice +offline +x86_64-zen4/);

  const withdrawn = await darkroom('embargo', 'withdraw', '--data', data, '--name', 'CVE-1');
  assert.equal(withdrawn.code, 0, withdrawn.stderr);
  assert.match(withdrawn.stdout, /Withdrew embargo CVE-1/);
  const revoked = await darkroom('revoke', '--data', data, '--name', 'alice');
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /Revoked tester alice \(DR1:/);
  assert.equal(JSON.parse((await darkroom('status', '--data', data, '--json')).stdout).agents[0].revoked, true);

  const verified = await darkroom('audit', 'verify', '--data', data);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /^Audit chain intact: 7 rows checked/);

  const raw = new Database(join(data, DATABASE_FILE_NAME));
  raw.exec("DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'nobody' WHERE seq = 5");
  raw.close();
  const broken = await darkroom('audit', 'verify', '--data', data);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /^darkroom: error: Audit row 5 .*edited: 4 rows before it are intact.*\[AUDIT_BROKEN\]$/m);

  const missing = await darkroom('status', '--data', join(data, 'nope'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\[STORE_MISSING\]/);
});
