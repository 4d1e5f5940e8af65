// The README's first command: `darkroom demo` runs the whole flow with real processes and ends as
// designed (two classes pass, the 64K-page lab fails exactly one case, pre-existing on the base, so
// the quality bar is met), prints the Tested-by trailers, and leaves no process behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_FAILING_CASE, DEMO_SERIES_DIR } from '../../maintainer/demo/project.js';
import { DEMO_KCIDB_FILE } from '../../maintainer/demo/run.js';
import { kcidbProblems } from '../support/kcidb-schema.js';
import { tempDir } from '../support/bundle-fixture.js';
import { runCli } from '../support/agent-process.js';

test('darkroom demo runs the whole flow and reports what it was designed to show', { timeout: 240_000 }, async (t) => {
  const dir = join(await tempDir(t, 'dr-demo-'), 'demo');
  const { code, stdout, stderr } = await runCli(['demo', '--dir', dir]);
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  assert.match(stdout, /Coordinator running at ws:\/\/127\.0\.0\.1:\d+/);
  assert.match(stdout, /outside Darkroom/, 'the demo says a real lab approves out of band');
  for (const agent of ['lab-auto', 'lab-xeon', 'lab-arm64-64k']) assert.match(stdout, new RegExp(`^ {3}darkroom trust agent ${agent} --fingerprint DR1:[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$`, 'm'));
  assert.match(stdout, /Bundle ([0-9a-f]{32}) complete/);
  assert.match(stdout, /aarch64\/Ampere\/Altra-Q80-30\s+1\s+1ok\s+1ok\s+1S\s+1ok\s+1F/);
  assert.match(stdout, /lab-arm64-64k\s+unit\s+holds_one_page: FAIL \(pre-existing, FAIL on base\)/);
  assert.match(stdout, /^ {3}build: \{ classes: 3 \}$/m, 'the bar asks for builds: the demo agents boot nothing');
  assert.match(stdout, /^Quality bar: met$/m, 'the final report shows the verdict');
  assert.match(stdout, /^PRE-EXISTING FAILURES ONLY, quality bar met: \d+ pass, 1 fail, 3 skip; 0 running, 0 pending; 3 agents in 3 hardware classes$/m, 'the last line says the only failure is pre-existing');
  assert.match(stdout, /^Cases against the base: \d+ pass, 0 regression, 1 pre-existing, 0 fixed$/m);
  assert.match(stdout, /^ {3}Tested-by: lab-xeon <lab-xeon@example\.org>\n {3}Darkroom-Result: [0-9a-f]{32} signed-by DR1:[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/m);
  assert.match(stdout, /^ {3}Tested-by: lab-auto <lab-auto@example\.org>$/m);
  assert.doesNotMatch(stdout, /Tested-by: lab-arm64-64k/, 'the failing lab is not credited');
  assert.match(stdout, /not ok \d+ - holds_one_page/, 'the decrypted log is shown');
  assert.match(stdout, /As designed/);
  // THREAT-MODEL 22: the coordinator's data directory holds no case name or patch file name of the series.
  const coordinator = join(dir, 'coordinator');
  const files = (await readdir(coordinator, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  const patches = (await readdir(DEMO_SERIES_DIR)).filter((name) => name.endsWith('.patch')).map((name) => name.replace(/^[0-9]{4}-/, ''));
  for (const file of files) {
    const bytes = await readFile(file);
    for (const needle of ['read_line_stays_in_bounds', DEMO_FAILING_CASE, ...patches]) assert.ok(!bytes.includes(needle), `${file} holds '${needle}'`);
  }
  const kcidb = JSON.parse(await readFile(join(dir, DEMO_KCIDB_FILE), 'utf8')) as { checkouts: unknown[]; builds: unknown[]; tests: Array<{ path: string }> };
  assert.deepEqual(kcidbProblems(kcidb), [], 'the KCIDB export of the demo bundle is valid against the official 5.3 schema');
  assert.equal(kcidb.checkouts.length, 1);
  assert.equal(kcidb.builds.length, 3);
  assert.ok(kcidb.tests.some((test) => test.path === 'boot'));
  assert.ok(kcidb.tests.some((test) => /^unit\..*holds_one_page$/.test(test.path)), 'the failing case is a dotted path under its workload');
  const left = execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((line) => line.includes(dir));
  assert.deepEqual(left, [], 'every demo process has exited');
});
