// The base-run cache: keyed by everything the outcome depends on, private on disk; and the
// annotation that puts base statuses beside the series' in the stages an agent signs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../../proto/darkroom.js';
import { annotateStages } from '../../../agent/base-run/annotate.js';
import { BASE_CACHE_DIR, BaseCache, baseKeyId, type BaseKey } from '../../../agent/base-run/cache.js';
import { stage } from '../../../agent/pipeline/stages.js';
import { tempDir } from '../../support/bundle-fixture.js';

const KEY: BaseKey = { agent: 'lab-a', tree: 'ringbuf', commit: 'a'.repeat(40), workload: { name: 'unit', command: 'make check', format: 'tap', inGuest: false } };

test('the key changes with the agent, tree, commit, workload and its command', () => {
  const id = baseKeyId(KEY);
  const variants: BaseKey[] = [
    { ...KEY, agent: 'lab-b' }, { ...KEY, tree: 'other' }, { ...KEY, commit: 'b'.repeat(40) },
    { ...KEY, workload: { ...KEY.workload, name: 'stress' } }, { ...KEY, workload: { ...KEY.workload, command: 'make check V=1' } },
  ];
  for (const variant of variants) assert.notEqual(baseKeyId(variant), id, JSON.stringify(variant));
  assert.equal(baseKeyId({ ...KEY }), id);
});

test('entries are stored privately and read back; a missing or damaged entry is a miss', async (t) => {
  const stateDir = await tempDir(t, 'dr-base-cache-');
  const cache = new BaseCache(stateDir);
  assert.equal(await cache.get(KEY), null);
  const entry = { status: 'FAIL' as const, cases: [{ name: 'holds_one_page', status: 'FAIL' as const }, { name: 'wraps', status: 'PASS' as const }], ranAtMs: 1 };
  await cache.put(KEY, entry);
  assert.deepEqual(await cache.get(KEY), entry);
  assert.equal(await cache.get({ ...KEY, commit: 'c'.repeat(40) }), null);
  const dir = join(stateDir, BASE_CACHE_DIR);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  const files = await readdir(dir);
  assert.deepEqual(files, [`${baseKeyId(KEY)}.json`]);
  assert.equal((await stat(join(dir, files[0]!))).mode & 0o777, 0o600);
  await writeFile(join(dir, files[0]!), '{not json');
  assert.equal(await cache.get(KEY), null);
});

test('annotation gives each case its base status, MISS when the base had no such case', () => {
  const stages = [
    stage('apply', 'PASS', 1),
    stage('workload:unit', 'FAIL', 5, '', [{ name: 'holds_one_page', status: 'FAIL' }, { name: 'wraps', status: 'PASS' }, { name: 'added', status: 'FAIL' }]),
    stage('workload:stress', 'PASS', 5, '', [{ name: 'hello', status: 'PASS' }]),
  ];
  const annotated = annotateStages(stages, new Map([['workload:unit', { status: 'FAIL' as const, cases: [{ name: 'holds_one_page', status: 'FAIL' as const }, { name: 'wraps', status: 'FAIL' as const }], ranAtMs: 1, cached: true }]]));
  assert.equal(annotated[0], stages[0], 'stages without a base outcome are left alone');
  assert.equal(annotated[2], stages[2]);
  assert.equal(annotated[1]!.baseStatus, 'FAIL');
  assert.equal(annotated[1]!.baseCached, true);
  assert.deepEqual(annotated[1]!.cases!.map((c) => [c.name, c.status, c.baseStatus]), [
    ['holds_one_page', darkroom.v1.Status.FAIL, 'FAIL'], ['wraps', darkroom.v1.Status.PASS, 'FAIL'], ['added', darkroom.v1.Status.FAIL, 'MISS'],
  ]);
});
