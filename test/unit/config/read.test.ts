import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadAgentConfig } from '../../../agent/config/index.js';
import { readAgentConfig } from '../../../agent/config/read.js';
import { runCli } from '../../support/agent-process.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/agent.yaml', import.meta.url));
const INVALID = `coordinator:
  url: wss://coordinator.example.org:8443
  fingerprint: DR1:AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH
state_dir: ./state
concurrency: many
trees:
  linux: ../linux
workloads:
  - name: smoke
    command: make check
    formt: tap
`;

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-config-read-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function rejection(read: Promise<unknown>): Promise<ConfigError> {
  try {
    await read;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('the config was accepted');
}

test('the config read in a child process equals the config read in this one', async () => {
  assert.deepEqual(await readAgentConfig(EXAMPLE), await loadAgentConfig(EXAMPLE));
});

test('an invalid config read in a child process fails with the same code, message and problems', async (t) => {
  const path = join(await scratch(t), 'agent.yaml');
  await writeFile(path, INVALID);
  const child = await rejection(readAgentConfig(path));
  const here = await rejection(loadAgentConfig(path));
  assert.equal(child.code, 'CONFIG_INVALID');
  assert.equal(child.message, here.message);
  assert.deepEqual(child.problems, here.problems);
  assert.equal(child.problems.length, 2);
  assert.match(child.problems[0]!, /agent\.yaml:5: concurrency: /);
  assert.match(child.problems[1]!, /agent\.yaml:11: workloads\[0\]\.formt: unknown key/);
});

test('a missing config read in a child process is CONFIG_UNREADABLE with the reason', async (t) => {
  const path = join(await scratch(t), 'missing.yaml');
  const error = await rejection(readAgentConfig(path));
  assert.equal(error.code, 'CONFIG_UNREADABLE');
  assert.match(error.message, /^Cannot read the agent config .*missing\.yaml: ENOENT/);
});

test('a reading process that outlives its time-out is killed and reported', async () => {
  const error = await rejection(readAgentConfig(EXAMPLE, { timeoutMs: 1 }));
  assert.equal(error.code, 'CONFIG_UNREADABLE');
  assert.match(error.message, /^Cannot read the agent config .*agent\.yaml: the process reading it did not finish within 1 ms: check the file with `darkroom agent check --config /);
});

test('agent run with an invalid config prints one line per problem and exits 1', async (t) => {
  const path = join(await scratch(t), 'agent.yaml');
  await writeFile(path, INVALID);
  const run = await runCli(['agent', 'run', '--config', path]);
  assert.equal(run.code, 1);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 2, run.stderr);
  assert.match(lines[0]!, /^darkroom: error: .*agent\.yaml:5: concurrency: /);
  assert.match(lines[1]!, /^darkroom: error: .*agent\.yaml:11: workloads\[0\]\.formt: unknown key/);
});
