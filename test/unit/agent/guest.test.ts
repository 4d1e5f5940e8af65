import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bootVerdict, readGuestConsole, unfinishedReason } from '../../../agent/boot/guest-console.js';
import { qemuArgs } from '../../../agent/boot/qemu.js';
import { buildInitramfs, cpioList, initScript, InitramfsError } from '../../../agent/initramfs/index.js';
import { parseWorkloadOutput } from '../../../agent/parsers/index.js';
import { sandboxEnvironment, type SandboxPolicy } from '../../../agent/sandbox/index.js';
import { fixturePath } from '../../support/paths.js';

const NONCE = '0123456789abcdef';
const consoleSample = () => readFileSync(fixturePath('parsers', 'guest-console.log'), 'utf8').replaceAll('NONCE', NONCE);
const ENDED = { timedOut: false, timeoutMs: 60_000, exitCode: 0 };

test('the guest init is valid shell that runs each workload between markers and restarts', () => {
  const script = initScript(['boot-message', 'selftest'], NONCE);
  execFileSync('sh', ['-n'], { input: script });
  const lines = script.split('\n');
  const at = (needle: string) => lines.findIndex((line) => line.includes(needle));
  assert.ok(at(`DARKROOM:${NONCE}:booted`) < at(`DARKROOM:${NONCE}:start:boot-message`));
  assert.ok(at('/darkroom/workloads/boot-message') < at(`DARKROOM:${NONCE}:end:boot-message:$?`));
  assert.ok(at(`DARKROOM:${NONCE}:done`) < at('reboot -f'));
  assert.equal(script.includes('poweroff'), false, 'poweroff hangs QEMU without ACPI');
  assert.throws(() => initScript(['../escape'], NONCE), (error: unknown) => error instanceof InitramfsError && error.code === 'NAME_UNUSABLE');
});

test('the cpio list holds /dev/console as a device node, busybox, /init and the workloads', () => {
  const list = cpioList({ busybox: '/bin/busybox', init: '/s/init', workloads: [{ name: 'smoke', script: '/tree/smoke.sh' }] });
  assert.match(list, /^nod \/dev\/console 0600 0 0 c 5 1$/m);
  assert.match(list, /^file \/init \/s\/init 0755 0 0$/m);
  assert.match(list, /^file \/darkroom\/workloads\/smoke \/tree\/smoke\.sh 0755 0 0$/m);
  assert.match(list, /^slink \/bin\/sh busybox 0777 0 0$/m);
  assert.throws(() => cpioList({ busybox: '/my tools/busybox', init: '/s/init', workloads: [] }), /holds whitespace/);
});

test('the initramfs is packed by the given gen_init_cpio from a list naming existing files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dr-initramfs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Stands in for the kernel's usr/gen_init_cpio: checks every source file exists, echoes the list.
  const tool = join(dir, 'gen_init_cpio');
  await writeFile(tool, '#!/bin/sh\nawk \'$1=="file" && system("test -r " $3) != 0 { print "missing " $3 > "/dev/stderr"; exit 1 }\' "$1" || exit 1\ncat "$1"\n');
  await chmod(tool, 0o755);
  await writeFile(join(dir, 'busybox'), 'stand-in');
  await writeFile(join(dir, 'smoke.sh'), 'echo ok\n');
  const out = join(dir, 'initramfs.cpio');
  const built = await buildInitramfs(out, { genInitCpio: tool, busybox: join(dir, 'busybox'), workloads: [{ name: 'smoke', script: join(dir, 'smoke.sh') }], stagingDir: dir });
  assert.match(built.nonce, /^[0-9a-f]{16}$/);
  assert.match(await readFile(out, 'utf8'), /^file \/darkroom\/workloads\/smoke /m);
  assert.match(await readFile(join(dir, 'init'), 'utf8'), new RegExp(`DARKROOM:${built.nonce}:booted`));
  await assert.rejects(
    buildInitramfs(out, { genInitCpio: join(dir, 'missing-tool'), busybox: join(dir, 'busybox'), workloads: [], stagingDir: dir }),
    (error: unknown) => error instanceof InitramfsError && error.code === 'TOOL_MISSING' && /gen_init_cpio/.test(error.message),
  );
});

test('the guest console gives each workload its output and exit status; kernel lines in it are tolerated', () => {
  const guest = readGuestConsole(consoleSample(), NONCE);
  assert.equal(guest.booted, true);
  assert.equal(guest.done, true);
  assert.deepEqual(guest.workloads.map((w) => [w.name, w.exitCode, w.completed]), [['boot-message', 0, true], ['selftest', 1, true]]);
  assert.deepEqual(parseWorkloadOutput('ktap', { stdout: guest.workloads[0]!.output, exitCode: 0, name: 'boot-message' }).cases, [{ name: 'darkroom_boot_message', status: 'PASS' }]);
  const tap = parseWorkloadOutput('tap', { stdout: guest.workloads[1]!.output, exitCode: 1, name: 'selftest' });
  assert.deepEqual(tap.cases.map((c) => [c.name, c.status]), [['first', 'PASS'], ['second', 'FAIL']]);
  assert.deepEqual(bootVerdict(guest, ENDED), { status: 'PASS', reason: '' });
  assert.equal(readGuestConsole(consoleSample(), 'ffffffffffffffff').booted, false, 'markers with another nonce are not believed');
});

test('a workload\'s time is the guest uptime between its markers; markers without it are still read', () => {
  const text = `DARKROOM:${NONCE}:booted\nDARKROOM:${NONCE}:start:smoke:2.50\nok 1 x\nDARKROOM:${NONCE}:end:smoke:0:3.75\nDARKROOM:${NONCE}:start:bare:\nDARKROOM:${NONCE}:end:bare:4:\n`;
  assert.deepEqual(readGuestConsole(text, NONCE).workloads.map((w) => [w.name, w.exitCode, w.durationMs]), [['smoke', 0, 1250], ['bare', 4, undefined]]);
  const line = initScript(['smoke'], NONCE).split('\n').find((l) => l.includes(':end:smoke:'))!;
  const printed = execFileSync('sh', ['-c', `sh -c 'exit 3'; ${line}`], { encoding: 'utf8' }).trim();
  assert.match(printed, new RegExp(`^DARKROOM:${NONCE}:end:smoke:3:(\\d+\\.\\d+)?$`), 'the exit status is taken before the uptime is read');
});

test('boot verdicts: an early panic, a hang and a guest that stops are the kernel\'s FAIL', () => {
  const panic = '[    0.31] Kernel panic - not syncing: darkroom test panic\n[    0.31] CPU: 0 PID: 1 Comm: swapper Not tainted 6.1.90 #3\n';
  const panicked = readGuestConsole(panic, NONCE);
  assert.deepEqual(bootVerdict(panicked, ENDED), { status: 'FAIL', reason: 'kernel panic before the workloads started; see the console log' });
  assert.match(bootVerdict(readGuestConsole('[    0.1] Booting\n', NONCE), { ...ENDED, timedOut: true, exitCode: null }).reason, /did not reach the workloads within 60 s \(hang\)/);
  assert.match(bootVerdict(readGuestConsole('', NONCE), { ...ENDED, exitCode: 0 }).reason, /stopped before reaching the workloads/);
  const cut = readGuestConsole(`DARKROOM:${NONCE}:booted\nDARKROOM:${NONCE}:start:w\nKTAP version 1\n[ 2.0] Kernel panic - not syncing: Fatal exception\n`, NONCE);
  assert.equal(bootVerdict(cut, ENDED).status, 'PASS');
  assert.deepEqual(cut.workloads.map((w) => [w.name, w.completed, w.exitCode]), [['w', false, null]]);
  assert.equal(unfinishedReason(cut, ENDED), 'the kernel panicked before the workload finished');
});

test('qemu runs without graphics or restart, the console to a file', () => {
  const args = qemuArgs({ binary: 'qemu-system-x86_64', kernel: '/b/bzImage', initramfs: '/s/i.cpio', memoryMb: 256, cpus: 1, append: 'console=ttyS0', extraArgs: ['-accel', 'tcg'], consoleLogPath: '/l/boot.log' });
  assert.deepEqual(args.slice(0, 5), ['qemu-system-x86_64', '-nographic', '-no-reboot', '-monitor', 'none']);
  assert.deepEqual(args.slice(args.indexOf('-serial'), args.indexOf('-serial') + 2), ['-serial', 'file:/l/boot.log']);
  assert.deepEqual(args.slice(-2), ['-accel', 'tcg']);
});

/** The sandbox an agent boots QEMU in: the boot's directory writable, the built kernel read-only, no network. */
function guestSandbox(dir: string): SandboxPolicy {
  const built = [process.env.DARKROOM_TEST_KERNEL!, process.env.DARKROOM_TEST_GEN_INIT_CPIO!].map((path) => dirname(path));
  return { readable: built, hidden: [], writable: [dir], ownReadable: [], network: false, env: sandboxEnvironment(process.env, { HOME: dir }) };
}

const haveQemu = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v qemu-system-x86_64 && command -v busybox'], { stdio: 'ignore' });
    return process.env.DARKROOM_TEST_KERNEL !== undefined && process.env.DARKROOM_TEST_GEN_INIT_CPIO !== undefined;
  } catch {
    return false;
  }
})();

test('a real QEMU boot of a built kernel into the workload initramfs, inside the sandbox', { skip: haveQemu ? false : 'NOT RUN: needs qemu-system-x86_64 and busybox on PATH, and DARKROOM_TEST_KERNEL (a bzImage) and DARKROOM_TEST_GEN_INIT_CPIO set (`npm run test:kernel` prepares a tree, builds it and sets them)' }, async (t) => {
  const { bootQemu } = await import('../../../agent/boot/qemu.js');
  const { silentLogger } = await import('../../../shared/log.js');
  const dir = await mkdtemp(join(tmpdir(), 'dr-qemu-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'smoke.sh'), 'echo "KTAP version 1"; echo "1..1"; echo "ok 1 guest_alive"\n');
  const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
  const sandbox = guestSandbox(dir);
  const initramfs = await buildInitramfs(join(dir, 'i.cpio'), { genInitCpio: process.env.DARKROOM_TEST_GEN_INIT_CPIO!, busybox, workloads: [{ name: 'smoke', script: join(dir, 'smoke.sh') }], stagingDir: dir, sandbox });
  const boot = await bootQemu({
    binary: 'qemu-system-x86_64', kernel: process.env.DARKROOM_TEST_KERNEL!, initramfs: initramfs.path, memoryMb: 256, cpus: 1,
    append: 'console=ttyS0 panic=-1', extraArgs: [], timeoutMs: 60_000, consoleLogPath: join(dir, 'boot.log'), qemuLogPath: join(dir, 'qemu.log'),
    nonce: initramfs.nonce, cwd: dir, signal: new AbortController().signal, logger: silentLogger, sandbox,
  });
  assert.equal(boot.status, 'PASS', boot.reason);
  assert.deepEqual(parseWorkloadOutput('ktap', { stdout: boot.console.workloads[0]!.output, exitCode: 0, name: 'smoke' }).cases, [{ name: 'guest_alive', status: 'PASS' }]);
  assert.equal(typeof boot.console.workloads[0]!.durationMs, 'number', 'the guest\'s uptime timed the workload');
});

test('a guest that never runs is killed at the boot time-out: boot FAIL (hang), no QEMU left behind (sandboxed)', { skip: haveQemu ? false : 'NOT RUN: needs qemu-system-x86_64, busybox, DARKROOM_TEST_KERNEL and DARKROOM_TEST_GEN_INIT_CPIO (set by `npm run test:kernel`)' }, async (t) => {
  const { bootQemu } = await import('../../../agent/boot/qemu.js');
  const { silentLogger } = await import('../../../shared/log.js');
  const { processesUnder } = await import('../../support/agent-process.js');
  const dir = await mkdtemp(join(tmpdir(), 'dr-qemu-hang-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
  const sandbox = guestSandbox(dir);
  const initramfs = await buildInitramfs(join(dir, 'i.cpio'), { genInitCpio: process.env.DARKROOM_TEST_GEN_INIT_CPIO!, busybox, workloads: [], stagingDir: dir, sandbox });
  // -S starts the machine with its CPU stopped: a kernel frozen before it printed anything.
  const boot = await bootQemu({
    binary: 'qemu-system-x86_64', kernel: process.env.DARKROOM_TEST_KERNEL!, initramfs: initramfs.path, memoryMb: 256, cpus: 1,
    append: 'console=ttyS0 panic=-1', extraArgs: ['-S'], timeoutMs: 3_000, consoleLogPath: join(dir, 'boot.log'), qemuLogPath: join(dir, 'qemu.log'),
    nonce: initramfs.nonce, cwd: dir, signal: new AbortController().signal, logger: silentLogger, sandbox,
  });
  assert.equal(boot.status, 'FAIL', boot.reason);
  assert.match(boot.reason, /did not reach the workloads within 3 s \(hang\)/);
  assert.equal(boot.ending.timedOut, true);
  assert.deepEqual(await processesUnder(dir), [], 'QEMU was killed with its process tree');
});
