// The boot stage, by method: none, a command, or QEMU with the in-guest workloads. The methods
// that restart the machine (reboot, kexec) are in reboot.ts.
import { join } from 'node:path';
import { bootQemu } from '../boot/qemu.js';
import { unfinishedReason } from '../boot/guest-console.js';
import { buildInitramfs } from '../initramfs/index.js';
import { runCommand } from '../process/index.js';
import { logPath, resolvePath, stageEnv, type PipelineContext } from './context.js';
import type { BootSettings, WorkloadSettings } from './settings.js';
import { BOOT, commandVerdict, stage, type StageInit } from './stages.js';
import type { GuestResults } from './workload-stage.js';

export interface BootOutcome {
  stage: StageInit;
  /** What the guest's workloads printed (qemu only). */
  guest?: GuestResults;
}

type QemuSettings = Extract<BootSettings, { method: 'qemu' }>;

/** A boot command that hangs is the kernel's FAIL; one that cannot run is ERROR. */
export async function commandBoot(settings: Extract<BootSettings, { method: 'command' }>, ctx: PipelineContext): Promise<BootOutcome> {
  const run = await runCommand(settings.command, {
    cwd: ctx.gitTree.dir, logPath: logPath(ctx, BOOT), timeoutMs: settings.timeoutMs, signal: ctx.signal, env: stageEnv(ctx), logger: ctx.logger, tracker: ctx.tracker,
    sandbox: ctx.sandbox?.command(),
  });
  const verdict = commandVerdict(run, 'FAIL');
  return { stage: stage(BOOT, verdict.status, run.durationMs, verdict.reason) };
}

/**
 * Packs the in-guest workloads into an initramfs, boots the built kernel under QEMU, and keeps
 * the console as the boot log. The workloads' own verdicts come later, from `guest`.
 */
export async function qemuBoot(settings: QemuSettings, workloads: readonly WorkloadSettings[], ctx: PipelineContext): Promise<BootOutcome> {
  const inGuest = workloads.filter((workload) => workload.inGuest);
  const sandbox = ctx.sandbox?.command({ network: inGuest.some((workload) => workload.network === true) });
  const initramfs = await buildInitramfs(join(ctx.workspace.scratchDir, 'initramfs.cpio'), {
    genInitCpio: resolvePath(ctx, settings.genInitCpio),
    busybox: settings.busybox,
    workloads: inGuest.map((workload) => ({ name: workload.name, script: resolvePath(ctx, workload.command) })),
    stagingDir: ctx.workspace.scratchDir, ...(sandbox ? { sandbox } : {}),
  });
  const boot = await bootQemu({
    binary: settings.binary, kernel: resolvePath(ctx, settings.kernel), initramfs: initramfs.path, memoryMb: settings.memoryMb,
    cpus: settings.cpus, append: settings.append, extraArgs: settings.extraArgs, timeoutMs: settings.timeoutMs,
    consoleLogPath: logPath(ctx, BOOT), qemuLogPath: logPath(ctx, 'qemu'), nonce: initramfs.nonce, cwd: ctx.workspace.scratchDir,
    signal: ctx.signal, logger: ctx.logger, tracker: ctx.tracker, ...(sandbox ? { sandbox } : {}),
  });
  const runs = new Map(boot.console.workloads.map((run) => [run.name, run]));
  return { stage: stage(BOOT, boot.status, boot.durationMs, boot.reason), guest: { runs, unfinishedReason: unfinishedReason(boot.console, boot.ending) } };
}

/** The boot methods that stay in this process; reboot and kexec hand over (reboot.ts). */
export type InProcessBoot = Exclude<BootSettings, { method: 'reboot' | 'kexec' }>;

export async function runBoot(settings: InProcessBoot, workloads: readonly WorkloadSettings[], ctx: PipelineContext): Promise<BootOutcome> {
  switch (settings.method) {
    case 'none':
      return { stage: stage(BOOT, 'SKIP', 0, 'no boot configured') };
    case 'command':
      return commandBoot(settings, ctx);
    case 'qemu':
      return qemuBoot(settings, workloads, ctx);
  }
}
