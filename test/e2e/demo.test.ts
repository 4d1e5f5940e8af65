// The README's first command: `darkroom demo` runs the whole flow with real processes and ends as
// designed (two classes pass, the 64K-page lab fails exactly one case, pre-existing on the base, so
// the quality bar is met), prints the Tested-by trailers, and leaves no process behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../support/bundle-fixture.js';
import { runCli } from '../support/agent-process.js';

test('darkroom demo runs the whole flow and reports what it was designed to show', { timeout: 240_000 }, async (t) => {
  const dir = join(await tempDir(t, 'dr-demo-'), 'demo');
  const { code, stdout, stderr } = await runCli(['demo', '--dir', dir]);
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  assert.match(stdout, /Coordinator running at ws:\/\/127\.0\.0\.1:\d+/);
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
  const left = execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((line) => line.includes(dir));
  assert.deepEqual(left, [], 'every demo process has exited');
});
