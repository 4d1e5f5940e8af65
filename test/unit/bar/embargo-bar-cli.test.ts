// `darkroom coordinator embargo bar|create --bar|list` as real processes on a real data directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../support/agent-process.js';
import { tempDir } from '../../support/bundle-fixture.js';
import { Store } from '../../../coordinator/store/store.js';

test('a bar is set, refused with its line and key, shown by embargo list, and audited', async (t) => {
  const dir = await tempDir(t, 'dr-bar-cli-');
  const data = join(dir, 'coord');
  assert.equal((await runCli(['coordinator', 'init', '--data', data])).code, 0);
  const good = join(dir, 'bar.yaml');
  await writeFile(good, 'boot: {classes: 2}\nworkloads:\n  unit: {agents: 1}\nno_new_failures: true\n');
  const created = await runCli(['coordinator', 'embargo', 'create', '--data', data, '--name', 'cve-1', '--testers', '@lab', '--maintainers', '@m', '--until', '2099-01-01', '--bar', good]);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Quality bar: boot>=2 classes, unit>=1 agents, no new failures/);

  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, 'boot:\n  classes: 2\nworkload:\n  unit: {agents: 1}\ndeadline: 2100-01-01\n');
  const refused = await runCli(['coordinator', 'embargo', 'bar', '--data', data, '--name', 'cve-1', '--file', bad]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`${bad}:3: workload: unknown key`));
  assert.match(refused.stderr, new RegExp(`${bad}:5: deadline: 2100-01-01 is after the embargo's disclosure date`));
  assert.match(refused.stderr, /\[BAR_INVALID\]/);

  const replacement = join(dir, 'new.yaml');
  await writeFile(replacement, 'workloads:\n  stress: {classes: 3}\ndeadline: 2098-06-01\n');
  const set = await runCli(['coordinator', 'embargo', 'bar', '--data', data, '--name', 'cve-1', '--file', replacement]);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /Quality bar of embargo cve-1: stress>=3 classes, by 2098-06-01T00:00:00.000Z/);

  const listed = await runCli(['coordinator', 'embargo', 'list', '--data', data]);
  assert.match(listed.stdout, /BAR\n.*cve-1 .*stress>=3 classes, by 2098-06-01T00:00:00\.000Z$/m);
  const json = JSON.parse((await runCli(['coordinator', 'embargo', 'list', '--data', data, '--json'])).stdout) as Array<{ bar: unknown }>;
  assert.deepEqual(json[0]!.bar, { format: 1, buildClasses: null, bootClasses: null, workloads: [{ name: 'stress', unit: 'classes', need: 3 }], noNewFailures: false, deadlineMs: Date.parse('2098-06-01') });

  const atomic = await runCli(['coordinator', 'embargo', 'create', '--data', data, '--name', 'cve-2', '--testers', '@lab', '--maintainers', '@m', '--until', '2099-01-01', '--bar', bad]);
  assert.equal(atomic.code, 1);
  assert.doesNotMatch((await runCli(['coordinator', 'embargo', 'list', '--data', data])).stdout, /cve-2/, 'an embargo whose bar is refused is not created');

  const unknown = await runCli(['coordinator', 'embargo', 'bar', '--data', data, '--name', 'cve-9', '--file', good]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No embargo named 'cve-9'/);

  const store = Store.open(data);
  t.after(() => store.close());
  const audited = store.db.prepare<[], { subject: string }>("SELECT subject FROM audit WHERE action = 'embargo.bar'").all();
  assert.deepEqual(audited.map((row) => row.subject), ['cve-1', 'cve-1'], 'the first bar and its replacement, not the refused one');
});
