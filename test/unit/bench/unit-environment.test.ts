import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readUnitEnvironment, unitEnvironment } from '../../../bench/unit-environment.js';

const UNIT = fileURLToPath(new URL('../../../../examples/darkroom-agent.service', import.meta.url));

test('Environment= lines: words split on spaces, double quotes group, the last assignment wins', () => {
  const text = '[Service]\nEnvironment=A=1 "B=two words"\nExecStart=/bin/true\n  Environment = A=3 C=\n# Environment=D=4\n';
  assert.deepEqual(unitEnvironment(text), { A: '3', B: 'two words', C: '' });
});

test('a malformed Environment= line names the file and line', () => {
  assert.throws(() => unitEnvironment('[Service]\nEnvironment="A=1\n', 'x.service'), { message: 'Cannot read x.service:2: unbalanced double quote in "\\"A=1"' });
  assert.throws(() => unitEnvironment('Environment=novalue\n', 'x.service'), { message: 'Cannot read x.service:1: expected NAME=value, got "novalue"' });
});

test('node accepts the NODE_OPTIONS the shipped agent unit sets', async () => {
  const env = await readUnitEnvironment(UNIT);
  assert.ok(env.NODE_OPTIONS, 'the unit sets NODE_OPTIONS');
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("started")'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(stderr, '');
  assert.equal(stdout, 'started');
  assert.equal(code, 0);
});
