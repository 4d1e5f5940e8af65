// THREAT-MODEL 23: a hostile coordinator's operator edits its own store, for real, while it runs:
// it rewrites a tester's contact, then deletes a FAIL result. The maintainer's trailers keep the
// name and contact the agent signed; report and trailers name the recipient without a result, and
// report no longer passes. The audit chain stays intact and still records the deleted result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertAuditIntact } from '../../coordinator/admin/audit.js';
import { DEMO_SERIES_DIR } from '../../maintainer/demo/project.js';
import { runCli } from '../support/agent-process.js';
import { contactOf, startResultLab } from '../support/result-lab.js';

const MALLORY = 'Mallory <mallory@example.net>';

test('a rewritten contact does not reach Tested-by; a dropped FAIL result is named in report and trailers', { timeout: 600_000 }, async (t) => {
  const r = await startResultLab(t, { agents: [{ name: 'lab-pass', hardwareClass: 'x86_64/Test/One' }, { name: 'lab-fail', hardwareClass: 'aarch64/Test/64K', failingUnit: true }] });
  const bundleId = await r.submit(DEMO_SERIES_DIR);
  await r.complete(bundleId);
  const cli = (...args: string[]) => runCli([...args, '--home', r.home.dir]);

  const honest = await cli('trailers', bundleId);
  assert.equal(honest.code, 0, honest.stderr);
  assert.match(honest.stdout, new RegExp(`^Tested-by: ${contactOf('lab-pass')}$`, 'm'));
  assert.doesNotMatch(honest.stdout, /lab-fail/, 'the failing tester is not credited');
  assert.doesNotMatch(honest.stderr, /no signed result/);

  // The operator rewrites every contact in its store.
  const changed = r.lab.admin((store) => store.db.prepare('UPDATE parties SET contact = ?').run(MALLORY).changes);
  assert.ok(changed >= 3, 'the store held the contacts it relays');
  const rewritten = await cli('trailers', bundleId, '--export', join(r.dir, 'evidence'));
  assert.equal(rewritten.code, 0, rewritten.stderr);
  assert.equal(rewritten.stdout, honest.stdout, 'the trailers come from the signed results, unchanged');
  assert.doesNotMatch(rewritten.stdout, /Mallory/);
  const [exported] = await readdir(join(r.dir, 'evidence'));
  assert.ok(exported);
  assert.doesNotMatch(await readFile(join(r.dir, 'evidence', exported), 'utf8'), /Mallory/, 'the exported evidence carries the signed contact');

  // The operator deletes the FAIL result; the job still reads as done.
  const failing = r.lab.admin((store) => store.jobs.byBundle(bundleId).find((job) => job.agentName === 'lab-fail')!);
  assert.equal(failing.status, 'FAIL');
  const deleted = r.lab.admin((store) => store.db.prepare('DELETE FROM results WHERE job_id = ?').run(failing.id).changes);
  assert.equal(deleted, 1);

  const report = await cli('report', bundleId);
  assert.equal(report.code, 1, `a report with a recipient missing never passes: ${report.stdout}`);
  assert.match(report.stdout, /^No signed result from: lab-fail \(sealed to at submit; still running, cancelled, or dropped by the coordinator\)$/m);
  const json = JSON.parse((await cli('report', bundleId, '--json')).stdout) as { recipientsWithoutResult: string[] | null };
  assert.deepEqual(json.recipientsWithoutResult, ['lab-fail']);

  const trailers = await cli('trailers', bundleId);
  assert.equal(trailers.code, 0, trailers.stderr);
  assert.match(trailers.stderr, /^darkroom: warning: no signed result from lab-fail, to whom bundle [0-9a-f]{32} was sealed/m);
  assert.equal(trailers.stdout, honest.stdout, 'the passing tester keeps the credit they earned');

  const audit = r.lab.admin((store) => ({ verdict: assertAuditIntact(store), accepted: [...store.audit.rows()].filter((row) => row.action === 'result.accepted' && row.subject === failing.id).length }));
  assert.equal(audit.verdict.problem, null);
  assert.equal(audit.accepted, 1, 'the audit log still records the result the store no longer holds');
});
