// The KCIDB document builder, pure: patchset hash as KCIDB defines it, sanitised dotted paths,
// the lab named only with consent, and every document valid against the official 5.3 schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { darkroom } from '../../../proto/darkroom.js';
import { buildKcidbDocument, dottedPath, labName, patchsetHash, type KcidbInput } from '../../../maintainer/kcidb/document.js';
import { kcidbProblems } from '../../support/kcidb-schema.js';

const S = darkroom.v1.Status;
const KEY_A = new Uint8Array(32).fill(1);
const KEY_B = new Uint8Array(32).fill(2);
const BASE = '0123456789abcdef0123456789abcdef01234567';

function result(init: Partial<darkroom.v1.Result.$Properties> & { jobId: string }): darkroom.v1.Result {
  return darkroom.v1.Result.create({
    version: 1, attempt: 1, bundleId: 'b'.repeat(32), agentName: 'lab-x', tree: 'linux-6.1.y', hardwareClass: 'x86_64/AMD/EPYC-7763',
    profile: { arch: 'x86_64' }, startedAtMs: 1_700_000_000_000, finishedAtMs: 1_700_000_060_000, status: S.PASS, ...init,
  });
}

function input(results: KcidbInput['results']): KcidbInput {
  return {
    origin: 'darkroom_test', bundleId: 'b'.repeat(32), embargo: 'CVE-2030-1234', disclosedAtMs: 1_700_000_100_000,
    targets: [{ tree: 'linux-6.1.y', base: BASE, patches: [Buffer.from('patch one\n'), Buffer.from('patch two\n')] }, { tree: 'linux-6.6.y', base: 'v6.6.40', patches: [] }],
    results,
  };
}

test('the patchset hash is what `sha256sum *.patch | cut -c-64 | sha256sum` gives, and empty without patches', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dr-kcidb-'));
  writeFileSync(join(dir, '0001-a.patch'), 'patch one\n');
  writeFileSync(join(dir, '0002-b.patch'), 'patch two\n');
  const shell = execFileSync('sh', ['-c', 'sha256sum *.patch | cut -c-64 | sha256sum | cut -c-64'], { cwd: dir, encoding: 'utf8' }).trim();
  assert.equal(patchsetHash([Buffer.from('patch one\n'), Buffer.from('patch two\n')]), shell);
  assert.equal(patchsetHash([]), '');
});

test('case names become dotted paths of [a-zA-Z0-9_-] segments', () => {
  assert.equal(dottedPath('net/tcp: fast open'), 'net.tcp_fast_open');
  assert.equal(dottedPath('suite.sub.case'), 'suite.sub.case');
  assert.equal(dottedPath('..//'), '');
});

test('a lab is named only when its tester signed a public name; otherwise a stable anonymous name per key', () => {
  assert.equal(labName(result({ jobId: 'j1', publicLab: 'Example Lab' }), KEY_A), 'Example Lab');
  const anonymous = labName(result({ jobId: 'j1' }), KEY_A);
  assert.match(anonymous, /^anonymous-[0-9a-f]{16}$/);
  assert.equal(labName(result({ jobId: 'j2' }), KEY_A), anonymous);
  assert.notEqual(labName(result({ jobId: 'j3' }), KEY_B), anonymous);
  assert.equal(anonymous.includes('lab-x'), false, 'the agent name is not published');
});

test('checkouts per tree, builds per job, tests per stage and case: valid against the KCIDB 5.3 schema', () => {
  const document = buildKcidbDocument(input([
    {
      signKey: KEY_A,
      result: result({
        jobId: 'job-1', publicLab: 'Example Lab',
        stages: [
          { name: 'apply', status: S.PASS },
          { name: 'build', status: S.PASS, durationMs: 90_000 },
          { name: 'boot', status: S.PASS, durationMs: 5_000 },
          { name: 'workload:ltp smoke', status: S.FAIL, cases: [{ name: 'syscalls/read01', status: S.PASS, durationMs: 12 }, { name: 'syscalls/read02', status: S.FAIL, baseStatus: 'PASS' }, { name: 'syscalls:read02', status: S.FAIL }] },
        ],
      }),
    },
    { signKey: KEY_B, result: result({ jobId: 'job-2', tree: 'linux-6.6.y', profile: { arch: 'aarch64' }, stages: [{ name: 'apply', status: S.FAIL }, { name: 'build', status: S.SKIP }] }) },
  ]));
  assert.deepEqual(kcidbProblems(document), []);
  assert.deepEqual(document.version, { major: 5, minor: 3 });
  const [first, second] = document.checkouts;
  assert.equal(first!.git_commit_hash, BASE);
  assert.equal(first!.patchset_hash, patchsetHash([Buffer.from('patch one\n'), Buffer.from('patch two\n')]));
  assert.equal(first!.valid, true);
  assert.equal(second!.git_commit_name, 'v6.6.40');
  assert.equal(second!.patchset_hash, '');
  assert.equal(second!.valid, false);
  assert.deepEqual(document.builds.map((build) => [build.id, build.architecture, build.status, build.checkout_id]), [
    ['darkroom_test:job-1', 'x86_64', 'PASS', `darkroom_test:${'b'.repeat(32)}.linux-6.1.y`],
    ['darkroom_test:job-2', 'aarch64', 'SKIP', `darkroom_test:${'b'.repeat(32)}.linux-6.6.y`],
  ]);
  assert.deepEqual(document.tests.map((t) => [t.path, t.status]), [
    ['boot', 'PASS'],
    ['ltp_smoke', 'FAIL'],
    ['ltp_smoke.syscalls.read01', 'PASS'],
    ['ltp_smoke.syscalls.read02', 'FAIL'],
    ['ltp_smoke.syscalls_read02', 'FAIL'],
  ]);
  for (const t of document.tests) assert.deepEqual(t.environment, { misc: { platform: 'x86_64/AMD/EPYC-7763', lab: 'Example Lab' } });
  assert.equal(new Set(document.tests.map((t) => t.id)).size, document.tests.length);
});

test('an invalid document is caught by the schema check (the check is not vacuous)', () => {
  const document = buildKcidbDocument(input([]));
  assert.deepEqual(kcidbProblems(document), []);
  assert.notDeepEqual(kcidbProblems({ ...document, checkouts: [{ ...document.checkouts[0], origin: 'Not Lowercase' }] }), []);
});
