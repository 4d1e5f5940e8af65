import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_MARKER_ENV } from '../../../agent/process/run-command.js';
import { findLeftovers, killLeftovers, type RecordedTree } from '../../../agent/process/leftovers.js';
import { isGone, readProcess } from '../../../agent/process/proc-table.js';
import { until } from '../../support/demo-job.js';

/** Longer than any test: these processes only end when killed. */
const LONG_SLEEP_S = 600;

async function workdir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-leftover-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Starts `script` with bash as the leader of its own process group, its parent not waiting for
 * it (as after the agent that started it was killed), with `env` added. Killed at the end.
 */
function orphan(t: TestContext, dir: string, script: string, env: Record<string, string> = {}): number {
  const child = spawn('bash', ['-c', script], { cwd: dir, detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
  child.unref();
  const pid = child.pid!;
  t.after(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  });
  return pid;
}

const freshMarker = () => `${RUN_MARKER_ENV}=${randomUUID()}`;
const markerValue = (marker: string) => marker.slice(marker.indexOf('=') + 1);
const alive = async (pid: number) => !isGone(await readProcess(pid));
const pidsIn = async (dir: string, name: string, count: number) =>
  until(`${count} pids in ${name}`, async () => {
    const pids = (await readFile(join(dir, name), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    return pids.length >= count && pids;
  }, 20_000);

test('a recorded tree is found again after its agent died: the leader, a group member, a setsid grandchild; a stranger is left alone', async (t) => {
  const dir = await workdir(t);
  const marker = freshMarker();
  const leader = orphan(t, dir, `sleep ${LONG_SLEEP_S} & echo $! >> pids; setsid sleep ${LONG_SLEEP_S} & echo $! >> pids; wait`, { [RUN_MARKER_ENV]: markerValue(marker) });
  const stranger = orphan(t, dir, `sleep ${LONG_SLEEP_S}`);
  const [member, escaped] = await pidsIn(dir, 'pids', 2);
  const tree: RecordedTree = { marker, pid: leader, startTime: (await readProcess(leader))!.startTime };

  const found = (await findLeftovers(tree)).map((entry) => entry.pid).sort((a, b) => a - b);
  assert.deepEqual(found, [leader, member!, escaped!].sort((a, b) => a - b));
  const { killed, remaining } = await killLeftovers(tree);
  assert.equal(killed, 3);
  assert.equal(remaining, 0);
  for (const pid of [leader, member!, escaped!]) assert.equal(await alive(pid), false, `process ${pid} of the recorded tree is gone`);
  assert.equal(await alive(stranger), true, 'a process outside the tree is not touched');
});

test('pids are reused: a pid with another start time, or a group of strangers whose leader has gone, is left alone', async (t) => {
  const dir = await workdir(t);
  const stranger = orphan(t, dir, `sleep ${LONG_SLEEP_S}`);
  const startTime = (await until('the stranger to start', () => readProcess(stranger), 20_000)).startTime;
  assert.deepEqual(await findLeftovers({ marker: freshMarker(), pid: stranger, startTime: startTime + 1 }), [], 'same pid, later process: not ours');
  assert.deepEqual((await killLeftovers({ marker: freshMarker(), pid: stranger, startTime: startTime + 1 })).killed, 0);
  assert.equal(await alive(stranger), true);

  const leaderGone = orphan(t, dir, `sleep ${LONG_SLEEP_S} & echo $! > left; exit 0`);
  const [member] = await pidsIn(dir, 'left', 1);
  await until('the leader to exit', async () => !(await alive(leaderGone)), 20_000);
  assert.equal((await readProcess(member!))!.pgid, leaderGone, 'the member is still in the leader\'s group');
  assert.deepEqual(await findLeftovers({ marker: freshMarker(), pid: leaderGone, startTime: 0 }), [], 'nothing in the group carries the marker');
  assert.equal(await alive(member!), true);
});

test('a group whose leader has gone is ended when one member carries the marker, even a member that cleared its environment', async (t) => {
  const dir = await workdir(t);
  const marker = freshMarker();
  const leader = orphan(t, dir, `sleep ${LONG_SLEEP_S} & echo $! >> pids; env -i sleep ${LONG_SLEEP_S} & echo $! >> pids; exit 0`, { [RUN_MARKER_ENV]: markerValue(marker) });
  const startTime = (await readProcess(leader))?.startTime ?? 0;
  const [marked, cleared] = await pidsIn(dir, 'pids', 2);
  await until('the leader to exit', async () => !(await alive(leader)), 20_000);
  const { killed, remaining } = await killLeftovers({ marker, pid: leader, startTime });
  assert.equal(killed, 2);
  assert.equal(remaining, 0);
  assert.equal(await alive(marked!), false);
  assert.equal(await alive(cleared!), false, 'the member without the marker went with its group');
});
