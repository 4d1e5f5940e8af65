// Wipe on every path: finishing a job throws when its outbox sits on a full tmpfs, and still no
// patched commit, reflog entry or build output of the series is left behind; the next job on the
// tree starts from the clean base and passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { Outbox } from '../../agent/outbox.js';
import { filesBelow, jobLab, TREE } from '../support/job-lab.js';
import { mountTmpfs } from '../support/tmpfs.js';

/** What the series adds (GOOD_SERIES): its text, its commit subjects. */
const SERIES_TEXT = 'int twice(int a)';
const SERIES_SUBJECTS = ['hello: add twice()', 'hello: print twice(4)'];

/** Every object in the clone whose content holds `needle`, and every commit subject reachable or in a reflog. */
function cloneHolds(clone: string, needle: string): { objects: string[]; subjects: string[] } {
  if (!existsSync(join(clone, '.git'))) return { objects: [], subjects: [] };
  const git = (...args: string[]) => execFileSync('git', ['-C', clone, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const objects = git('cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)').trim().split('\n').filter(Boolean)
    .map((line) => line.split(' ')).filter(([, type]) => type === 'blob' || type === 'commit').map(([id]) => id!)
    .filter((id) => git('cat-file', '-p', id).includes(needle));
  const subjects = git('log', '--all', '--reflog', '--format=%s').trim().split('\n').filter(Boolean);
  return { objects, subjects };
}

test('a job whose outbox write hits a full disk leaves no patched commit, reflog entry or build output; the next job starts on the clean base', { timeout: 120_000 }, async (t) => {
  const l = await jobLab(t, { reuseBuildDir: true, build: { command: 'make && mkdir -p "$DARKROOM_BUILD_DIR" && cp hello "$DARKROOM_BUILD_DIR/"', timeoutMs: 60_000 } });
  const full = await mountTmpfs(t, { size: '1m', name: 'outbox' });
  const { bavail, bsize } = await statfs(full);
  await writeFile(join(full, 'filler'), Buffer.alloc(bavail * bsize));
  const clone = l.workspaces.treeDir(TREE);
  const buildDir = l.workspaces.buildDir(TREE);

  const failing = l.runner(1, new Outbox(full));
  assert.deepEqual(failing.offer(await l.offer('job-disk-full'), l.coordinator.asChannel()), { accepted: true });
  await failing.idle();
  assert.equal(l.coordinator.sent.some((e) => e.resultSubmit), false, 'no result was sent: it never became durable');
  assert.deepEqual(cloneHolds(clone, SERIES_TEXT).objects, [], 'no object of the series in the clone');
  for (const subject of SERIES_SUBJECTS) assert.equal(cloneHolds(clone, SERIES_TEXT).subjects.includes(subject), false, `no commit or reflog entry '${subject}'`);
  const built = await Promise.all((await filesBelow(buildDir)).map(async (name) => ({ name, bytes: await readFile(join(buildDir, name)) })));
  assert.deepEqual(built.filter((file) => file.bytes.includes('twice')).map((file) => file.name), [], 'no build output of the series (the base\'s own build may stay)');
  assert.deepEqual(await l.workspaces.leftovers(), [], 'no workspace');

  const next = l.runner();
  next.offer(await l.offer('job-next'), l.coordinator.asChannel());
  await next.idle();
  const submitted = l.coordinator.sent.filter((e) => e.resultSubmit).map((e) => darkroom.v1.Result.decode(e.resultSubmit!.signed!.result!));
  assert.equal(submitted.length, 1);
  assert.equal(darkroom.v1.Status[submitted[0]!.status], 'PASS', 'the next job applies the same series on the base and passes');
});
