// THREAT-MODEL 22: the coordinator reads results, but sees statuses and counts only. A real agent
// runs two series whose test case name, patch file names and failure reason are strings found
// nowhere else; the maintainer's report shows them, decrypted locally, and a full copy of the
// coordinator's data directory taken while it runs (database, WAL, payloads) holds none of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { fetchResultDetails } from '../../maintainer/details.js';
import { reportToJson } from '../../maintainer/render/report.js';
import { loadReport } from '../../maintainer/report.js';
import { createDemoRepository } from '../../maintainer/demo/project.js';
import { tempDir } from '../support/bundle-fixture.js';
import { makeSeries } from '../support/c-project.js';
import { startResultLab } from '../support/result-lab.js';

/** A lower-case token no file of the project or the demo holds. */
const unique = (prefix: string) => `${prefix}${randomBytes(6).toString('hex')}`;

test('a copy of the coordinator\'s data holds no case name, failure reason or patch file name of the series', { timeout: 600_000 }, async (t) => {
  const r = await startResultLab(t, { agents: [{ name: 'lab-x', hardwareClass: 'x86_64/Test/One' }], bar: 'no_new_failures: true\n' });
  const caseName = unique('zq_');
  const applySubject = unique('vortexguard');
  const scratch = await createDemoRepository(join(r.dir, 'scratch'));

  // 1. A series that adds a test case, named uniquely, which fails: a new case that fails.
  const failing = await makeSeries(scratch.dir, scratch.base, [{
    file: 'tests/test_ringbuf.c', from: 'static const struct tap_case cases[] = {',
    to: `static int ${caseName}(void)\n{\n\treturn 0;\n}\n\nstatic const struct tap_case cases[] = {\n\t{ "${caseName}", ${caseName} },`,
    subject: `ringbuf: test ${unique('qk')}`,
  }], join(r.dir, 'failing'));
  // 2. The second patch of a series whose first one the testers never get: named uniquely, it does not apply.
  const both = await makeSeries(scratch.dir, scratch.base, [
    { file: 'ringbuf.c', from: 'return rb->capacity - rb->len;', to: 'return rb->capacity - rb->len - 1;', subject: 'ringbuf: keep one byte spare' },
    { file: 'ringbuf.c', from: 'return rb->capacity - rb->len - 1;', to: `return rb->capacity - rb->len - 1; /* ${applySubject} */`, subject: `ringbuf: ${applySubject}` },
  ], join(r.dir, 'unapplicable'));
  await rm(both[0]!);
  const moved = both.slice(1);

  const newCase = await r.submit(join(r.dir, 'failing'));
  await r.complete(newCase);
  const unapplied = await r.submit(join(r.dir, 'unapplicable'));
  await r.complete(unapplied);

  // The maintainer reads them, decrypted here.
  const report = reportToJson(await loadReport(r.connection, { bundleId: newCase, home: r.home }));
  assert.deepEqual(report.failures.map((f) => [f.agent, f.column, f.case, f.status, f.baseStatus]), [['lab-x', 'workload:unit', caseName, 'FAIL', 'MISS']]);
  assert.deepEqual((report.bar as { broken: Array<{ case: string; reason: string }> }).broken.map((b) => [b.case, b.reason]), [[caseName, 'new case fails']]);
  const details = await fetchResultDetails(r.connection, { bundleId: unapplied, pins: await r.home.pins() });
  const apply = details.results[0]!.stages.find((stage) => stage.name === 'apply')!;
  const patchFile = basename(moved[0]!).replace(/^[0-9]{4}-/, '');
  assert.ok(apply.reason?.includes(patchFile), `the apply reason names the patch file, for the maintainer: ${apply.reason}`);

  // The coordinator holds none of it: every file of a copy of its data directory, the WAL included.
  const needles = [caseName, applySubject, patchFile, ...failing.map((path) => basename(path).replace(/^[0-9]{4}-/, '')), apply.reason!];
  const copy = join(await tempDir(t, 'dr-stolen-'), 'copy');
  await cp(r.lab.dataDir, copy, { recursive: true });
  const files = (await readdir(copy, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  assert.ok(files.some((file) => file.endsWith('coordinator.db-wal')), `the copy has the write-ahead log: ${files.join(', ')}`);
  for (const file of files) {
    const bytes = await readFile(file);
    for (const needle of needles) assert.ok(!bytes.includes(needle), `${basename(file)} holds '${needle}'`);
  }
});
