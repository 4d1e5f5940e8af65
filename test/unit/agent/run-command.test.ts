import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../../agent/process/run-command.js';

async function workdir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-run-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Running, by the kernel's own account: present in /proc and not a zombie. */
function running(pid: number): boolean {
  try {
    const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /.test(line);
  } catch {
    return false;
  }
}

const pidFrom = async (dir: string, name: string) => Number((await readFile(join(dir, name), 'utf8')).trim());

test('captures stdout and stderr to a 0600 log and a tail, with the exit code', async (t) => {
  const dir = await workdir(t);
  const logPath = join(dir, 'stage.log');
  const result = await runCommand('echo hello; echo oops >&2; exit 3', { cwd: dir, logPath });
  assert.equal(result.exitCode, 3);
  assert.equal(result.signal, null);
  assert.equal(result.commandNotFound, false);
  assert.equal(result.timedOut, false);
  assert.match(result.outputTail, /hello\n/);
  assert.match(result.outputTail, /oops\n/);
  const log = await readFile(logPath, 'utf8');
  assert.match(log, /hello\n/);
  assert.match(log, /oops\n/);
  assert.equal((await stat(logPath)).mode & 0o777, 0o600);
  assert.equal(result.logPath, logPath);
});

test('runs in cwd through bash, so $(nproc) and added env vars expand', async (t) => {
  const dir = await workdir(t);
  const cores = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const result = await runCommand('echo "jobs=$(nproc) in=$(pwd) greeting=$GREETING"', { cwd: dir, logPath: join(dir, 'log'), env: { GREETING: 'hi' } });
  assert.equal(result.exitCode, 0);
  assert.equal(result.outputTail, `jobs=${cores} in=${dir} greeting=hi\n`);
});

test('a missing command is told apart from a failing one', async (t) => {
  const dir = await workdir(t);
  const missing = await runCommand('darkroom-no-such-tool --version', { cwd: dir, logPath: join(dir, 'a.log') });
  assert.equal(missing.exitCode, 127);
  assert.equal(missing.commandNotFound, true);
  assert.match(missing.outputTail, /command not found/);
  const failing = await runCommand('false', { cwd: dir, logPath: join(dir, 'b.log') });
  assert.equal(failing.exitCode, 1);
  assert.equal(failing.commandNotFound, false);
});

test('a command that cannot start reports a spawn error, not an exit code', async (t) => {
  const dir = await workdir(t);
  const result = await runCommand('true', { cwd: join(dir, 'missing'), logPath: join(dir, 'log') });
  assert.equal(result.exitCode, null);
  assert.ok(result.spawnError, 'spawnError is set');
  assert.match(result.spawnError, /cwd|ENOENT/);
});

test('a command killed by a signal reports the signal', async (t) => {
  const dir = await workdir(t);
  const result = await runCommand('kill -KILL $$', { cwd: dir, logPath: join(dir, 'log') });
  assert.equal(result.exitCode, null);
  assert.equal(result.signal, 'SIGKILL');
});

test('a time-out kills the whole tree: children, a setsid grandchild, a double-forked orphan, a SIGTERM-ignorer', async (t) => {
  const dir = await workdir(t);
  const script = [
    'sleep 1000 & echo $! > child.pid',
    "setsid bash -c 'echo $$ > setsid.pid; exec sleep 1000' &",
    "( setsid bash -c 'echo $$ > orphan.pid; exec sleep 1000' & )",
    "bash -c 'trap \"\" TERM; echo $$ > stubborn.pid; while :; do sleep 0.1; done' &",
    'echo started',
    'wait',
  ].join('\n');
  const result = await runCommand(script, { cwd: dir, logPath: join(dir, 'log'), timeoutMs: 1_500, graceMs: 300 });
  assert.equal(result.timedOut, true);
  assert.equal(result.cancelled, false);
  assert.equal(result.exitCode, null);
  assert.ok(result.signal === 'SIGTERM' || result.signal === 'SIGKILL', `ended by a signal, got ${result.signal}`);
  assert.ok(result.durationMs >= 1_500);
  assert.match(result.outputTail, /started/);
  const pids = { shell: result.pid! };
  for (const name of ['child', 'setsid', 'orphan', 'stubborn']) Object.assign(pids, { [name]: await pidFrom(dir, `${name}.pid`) });
  for (const [name, pid] of Object.entries(pids)) assert.equal(running(pid), false, `${name} (pid ${pid}) is gone`);
});

test('cancellation through an AbortSignal kills the tree and carries the reason', async (t) => {
  const dir = await workdir(t);
  const controller = new AbortController();
  setTimeout(() => controller.abort('embargo withdrawn'), 400);
  const result = await runCommand("sleep 1000 & echo $! > child.pid; setsid bash -c 'echo $$ > gc.pid; exec sleep 1000' & wait", { cwd: dir, logPath: join(dir, 'log'), signal: controller.signal, graceMs: 300 });
  assert.equal(result.cancelled, true);
  assert.equal(result.cancelReason, 'embargo withdrawn');
  assert.equal(result.timedOut, false);
  assert.equal(running(result.pid!), false);
  assert.equal(running(await pidFrom(dir, 'child.pid')), false);
  assert.equal(running(await pidFrom(dir, 'gc.pid')), false);
});

test('an already-aborted signal starts nothing', async (t) => {
  const dir = await workdir(t);
  const result = await runCommand('touch ran', { cwd: dir, logPath: join(dir, 'log'), signal: AbortSignal.abort(new Error('agent shutting down')) });
  assert.equal(result.cancelled, true);
  assert.equal(result.cancelReason, 'agent shutting down');
  await assert.rejects(stat(join(dir, 'ran')), { code: 'ENOENT' });
});

test('background processes left behind by a finished command are ended', async (t) => {
  const dir = await workdir(t);
  const script = "sleep 1000 & echo $! > held.pid; setsid bash -c 'echo $$ > quiet.pid; exec sleep 1000' >/dev/null 2>&1 & sleep 0.2; echo done";
  const result = await runCommand(script, { cwd: dir, logPath: join(dir, 'log'), graceMs: 300 });
  assert.equal(result.exitCode, 0);
  assert.equal(result.outputTail, 'done\n');
  assert.equal(running(await pidFrom(dir, 'held.pid')), false, 'the child holding the output pipe is gone');
  assert.equal(running(await pidFrom(dir, 'quiet.pid')), false, 'the detached child is gone');
});

test('the log keeps the newest output within its limit and says what it dropped', async (t) => {
  const dir = await workdir(t);
  const logPath = join(dir, 'log');
  const result = await runCommand("head -c 100000 /dev/zero | tr '\\0' a; echo; echo END", { cwd: dir, logPath, keepBytes: 10_000, tailBytes: 100 });
  assert.equal(result.exitCode, 0);
  assert.equal(result.outputBytes, 100_005);
  assert.equal(result.truncated, true);
  assert.ok(result.outputTail.length <= 100);
  assert.match(result.outputTail, /a\nEND\n$/);
  const log = await readFile(logPath, 'utf8');
  assert.match(log, /^\[darkroom: 90005 earlier bytes of output were dropped/);
  assert.match(log, /a\nEND\n$/);
  assert.ok(log.length < 10_200, `log is ${log.length} bytes`);
});
