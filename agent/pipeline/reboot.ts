// The boot methods that restart the machine (reboot, kexec): persist the job and hand over, and on
// the agent's next start, confirm that the expected kernel came back.
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFile } from 'node:fs/promises';
import { runCommand } from '../process/index.js';
import { logPath, stageEnv, type PipelineContext } from './context.js';
import type { BootSettings } from './settings.js';
import { BOOT, commandVerdict, stage, type StageInit } from './stages.js';

export type RestartSettings = Extract<BootSettings, { method: 'reboot' | 'kexec' }>;

export function restartsMachine(settings: BootSettings): settings is RestartSettings {
  return settings.method === 'reboot' || settings.method === 'kexec';
}

/**
 * Persists the stages done (ctx.beforeReboot), then runs the restart command. That command is the
 * tester's own control of the machine (it must reach systemd or kexec), not code of the series:
 * it runs outside the sandbox. Commands such as
 * `systemctl reboot` return at once and the machine goes down soon after, so the agent waits up
 * to the boot time-out; still running then, the restart did not happen: ERROR, not the code's fault.
 */
export async function handOver(settings: RestartSettings, completed: StageInit[], ctx: PipelineContext): Promise<StageInit> {
  if (!ctx.beforeReboot) return stage(BOOT, 'ERROR', 0, `boot method ${settings.method} needs a job that can be resumed after a restart`);
  await ctx.beforeReboot(completed);
  const run = await runCommand(settings.command, {
    cwd: ctx.gitTree.dir, logPath: logPath(ctx, 'restart'), timeoutMs: settings.timeoutMs, signal: ctx.signal, env: stageEnv(ctx), logger: ctx.logger, tracker: ctx.tracker,
  });
  const verdict = commandVerdict(run, 'ERROR');
  if (verdict.status !== 'PASS') return stage(BOOT, 'ERROR', run.durationMs, `the ${settings.method} command failed: ${verdict.reason}`);
  const left = Math.max(0, settings.timeoutMs - run.durationMs);
  const stopped = await sleep(left, false, { signal: ctx.signal }).catch(() => true);
  if (stopped) return stage(BOOT, 'ERROR', run.durationMs, 'cancelled while waiting for the machine to restart');
  return stage(BOOT, 'ERROR', settings.timeoutMs, `the machine did not restart within ${Math.round(settings.timeoutMs / 1000)} s of the ${settings.method} command`);
}

/**
 * After the restart: runs `expectKernelCommand` (e.g. `uname -r`) and compares its last line of
 * output with `expected`. Another kernel is a boot FAIL: the patched kernel did not come up (a
 * fallback entry booted instead). The log shows both; the reason stays content-free. Like the
 * restart command, the check is the tester's own probe of the machine (agent.yaml), not code of the
 * series, so it runs outside the sandbox (docs/sandbox.md): it reads the host as it came back.
 */
export async function verifyRestartedKernel(settings: RestartSettings, ctx: PipelineContext): Promise<StageInit> {
  const run = await runCommand(settings.expectKernelCommand, {
    cwd: ctx.workspace.scratchDir, logPath: logPath(ctx, 'kernel-check'), timeoutMs: settings.timeoutMs, signal: ctx.signal, env: stageEnv(ctx), logger: ctx.logger, tracker: ctx.tracker,
  });
  const verdict = commandVerdict(run, 'ERROR');
  if (verdict.status !== 'PASS') return stage(BOOT, 'ERROR', run.durationMs, `the kernel check command failed: ${verdict.reason}`);
  const running = run.outputTail.trim().split('\n').at(-1)?.trim() ?? '';
  const matches = running === settings.expected.trim();
  await writeFile(logPath(ctx, BOOT), `expected kernel: ${settings.expected.trim()}\nrunning kernel: ${running}\n`, { mode: 0o600 });
  if (!matches) return stage(BOOT, 'FAIL', run.durationMs, `the machine came back on another kernel than the one built; see the boot log`);
  return stage(BOOT, 'PASS', run.durationMs);
}
