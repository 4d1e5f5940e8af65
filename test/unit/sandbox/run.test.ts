// Commands run by the process runner inside the sandbox, for real: what they cannot see, write or
// reach, and that time-outs and tree kills still end everything they started.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../../agent/process/run-command.js';
import { sandboxEnvironment, type SandboxPolicy } from '../../../agent/sandbox/index.js';

interface Box {
  dir: string;
  secret: string;
  work: string;
  tree: string;
  policy: SandboxPolicy;
}

/** A state directory with a secret (hidden), a workspace (writable) and a tree (readable), all below /tmp. */
async function box(t: TestContext): Promise<Box> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-sandbox-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [secret, work, tree] = [join(dir, 'state'), join(dir, 'state', 'workspace', 'jobs', 'j1'), join(dir, 'tree')];
  for (const path of [work, tree]) await mkdir(path, { recursive: true });
  await writeFile(join(secret, 'identity.key'), 'SECRET-KEY-BYTES\n', { mode: 0o600 });
  await writeFile(join(tree, 'Makefile'), 'all:\n');
  const policy = { readable: [tree], hidden: [secret], writable: [work], ownReadable: [], network: false, env: sandboxEnvironment(process.env, { HOME: work }) };
  return { dir, secret, work, tree, policy };
}

/** A loopback TCP server that counts the connections it accepted. */
async function listener(t: TestContext): Promise<{ port: number; accepted: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, accepted: () => count };
}

/** Each attempt prints NAME ok or NAME refused. */
const attempt = (name: string, command: string) => `if ${command} >/dev/null 2>&1; then echo "${name} ok"; else echo "${name} refused"; fi`;

test('inside the sandbox the state directory is gone, the rest read-only, the network loopback only, the environment rebuilt', async (t) => {
  const b = await box(t);
  const server = await listener(t);
  process.env.DARKROOM_TEST_SECRET_ENV = 'agent-only';
  t.after(() => delete process.env.DARKROOM_TEST_SECRET_ENV);
  const script = [
    attempt('read-key', `cat ${b.secret}/identity.key`),
    attempt('list-state', `ls ${b.secret}/identity.key`),
    attempt('write-tree', `touch ${b.tree}/pwned`),
    attempt('write-dir', `touch ${b.dir}/pwned`),
    attempt('write-usr', 'touch /usr/pwned'),
    attempt('connect', `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${server.port}'`),
    attempt('read-tree', `cat ${b.tree}/Makefile`),
    attempt('write-work', `touch ${b.work}/built`),
    attempt('write-tmp', 'touch /tmp/private'),
    'echo "env=${DARKROOM_TEST_SECRET_ENV:-unset} stage=$DARKROOM_STAGE home=$HOME"',
    'echo "pid=$$"',
  ].join('\n');
  const result = await runCommand(script, { cwd: b.work, logPath: join(b.dir, 'log'), sandbox: b.policy, env: { DARKROOM_STAGE: 'build' } });
  assert.equal(result.exitCode, 0, result.outputTail);
  assert.equal(result.spawnError, undefined);
  const lines = result.outputTail.trim().split('\n');
  assert.deepEqual(lines.slice(0, 9), [
    'read-key refused', 'list-state refused', 'write-tree refused', 'write-dir ok', 'write-usr refused', 'connect refused',
    'read-tree ok', 'write-work ok', 'write-tmp ok',
  ]);
  assert.equal(lines[9], `env=unset stage=build home=${b.work}`, 'only the allow-list and the stage\'s own variables');
  assert.notEqual(lines[10], `pid=${result.pid}`, 'a PID namespace of its own');
  assert.equal(server.accepted(), 0, 'no connection reached the host\'s loopback');
  assert.ok(existsSync(join(b.work, 'built')), 'the workspace is written for real');
  assert.equal(existsSync(join(b.tree, 'pwned')), false);
  assert.equal(existsSync(join(b.dir, 'pwned')), false, 'a write below /tmp lands in the sandbox\'s private /tmp, never on the host');
  assert.equal(existsSync('/tmp/private'), false, '/tmp is private');
});

test('a workload the tester opened the network for reaches it', async (t) => {
  const b = await box(t);
  const server = await listener(t);
  const result = await runCommand(attempt('connect', `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${server.port}'`), { cwd: b.work, logPath: join(b.dir, 'log'), sandbox: { ...b.policy, network: true } });
  assert.equal(result.outputTail, 'connect ok\n');
  assert.equal(server.accepted(), 1);
});

/** Live processes (not zombies) whose command line holds `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (cmdline.includes(marker) && !/^\S+ \(.*\) [ZX] /.test(stat)) found.push(Number(name));
  }
  return found;
}

test('a time-out gives the sandboxed command its SIGTERM grace, then kills the whole tree: children, a setsid grandchild, a SIGTERM-ignorer', async (t) => {
  const b = await box(t);
  const marker = String(800_000 + Math.floor(Math.random() * 99_999));
  const script = [
    `sleep ${marker} &`,
    `setsid bash -c 'exec sleep ${marker}' &`,
    `bash -c 'trap "" TERM; while :; do sleep ${marker}; done' &`,
    `trap 'echo graceful > ${b.work}/graceful; exit 143' TERM`,
    'echo started',
    'wait',
  ].join('\n');
  const running = runCommand(script, { cwd: b.work, logPath: join(b.dir, 'log'), sandbox: b.policy, timeoutMs: 1_500, graceMs: 1_000 });
  const result = await running;
  assert.equal(result.timedOut, true);
  assert.match(result.outputTail, /started/);
  assert.equal(await readFile(join(b.work, 'graceful'), 'utf8'), 'graceful\n', 'the command\'s own SIGTERM handler ran');
  assert.deepEqual(await processesWith(marker), [], 'nothing of the tree is left');
  assert.equal(existsSync(`/proc/${result.pid}`), false, 'bwrap itself is gone');
});

test('a sandboxed command that exits leaves nothing running: a child, a setsid grandchild and a double-forked orphan end with its PID namespace', async (t) => {
  const b = await box(t);
  const marker = String(800_000 + Math.floor(Math.random() * 99_999));
  const script = [
    `sleep ${marker} &`,
    `setsid bash -c 'trap "" TERM; exec sleep ${marker}' > /dev/null 2>&1 &`,
    `( setsid sleep ${marker} > /dev/null 2>&1 & )`,
    'echo done',
  ].join('\n');
  const result = await runCommand(script, { cwd: b.work, logPath: join(b.dir, 'log'), sandbox: b.policy, graceMs: 300 });
  assert.equal(result.exitCode, 0);
  assert.equal(result.outputTail, 'done\n');
  assert.deepEqual(await processesWith(marker), [], 'nothing the command started is left');
  assert.equal(existsSync(`/proc/${result.pid}`), false, 'bwrap itself is gone');
});

test('a sandbox that cannot be set up is a spawn error (the agent\'s fault), not the command\'s exit status', async (t) => {
  const b = await box(t);
  const hiddenCwd = join(b.secret, 'sub');
  await mkdir(hiddenCwd);
  const result = await runCommand('echo ran', { cwd: hiddenCwd, logPath: join(b.dir, 'log'), sandbox: b.policy });
  assert.match(result.spawnError ?? '', /^the sandbox could not be set up \(bwrap exit 1; see the log\)$/);
  assert.doesNotMatch(result.outputTail, /^ran$/m);
  assert.match(await readFile(join(b.dir, 'log'), 'utf8'), /bwrap: /, 'bwrap\'s own reason is in the log');
});
