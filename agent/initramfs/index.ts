// Packs the guest's initramfs: busybox, the generated /init and the declared workload scripts,
// through the kernel tree's own usr/gen_init_cpio (device nodes without root).
import { access, constants, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { wrapCommand, type SandboxPolicy } from '../sandbox/index.js';
import { cpioList } from './cpio-list.js';
import { InitramfsError } from './errors.js';
import { initScript } from './init-script.js';
import { newNonce } from './markers.js';

export { InitramfsError, type InitramfsErrorCode } from './errors.js';
export { GUEST_WORKLOAD_DIR, GUEST_NAME, initScript } from './init-script.js';
export { cpioList, type CpioListInput } from './cpio-list.js';
export { findMarker, newNonce, type Marker } from './markers.js';

/** How long packing may take; it is a few megabytes of copying. */
export const PACK_TIMEOUT_MS = 60_000;

export interface InitramfsOptions {
  /** The tree's gen_init_cpio, built with the kernel (`usr/gen_init_cpio` in the build dir). */
  genInitCpio: string;
  busybox: string;
  workloads: ReadonlyArray<{ name: string; script: string }>;
  /** Where the init script and the list are written (the job's scratch directory). */
  stagingDir: string;
  /** gen_init_cpio was built from the series: it runs in the job's sandbox when there is one. */
  sandbox?: SandboxPolicy;
}

export interface Initramfs {
  path: string;
  /** The nonce of the markers the guest will print. */
  nonce: string;
}

async function requireFile(path: string, mode: number, what: string): Promise<void> {
  try {
    await access(path, mode);
  } catch (error) {
    throw new InitramfsError('TOOL_MISSING', `Cannot use ${what} at ${path}: it is missing or not ${mode === constants.X_OK ? 'executable' : 'readable'}; check the boot settings`, { cause: error });
  }
}

export async function buildInitramfs(outPath: string, options: InitramfsOptions): Promise<Initramfs> {
  await requireFile(options.genInitCpio, constants.X_OK, 'gen_init_cpio (built with the kernel as usr/gen_init_cpio)');
  await requireFile(options.busybox, constants.R_OK, 'busybox (a static build, e.g. Debian busybox-static)');
  for (const workload of options.workloads) await requireFile(workload.script, constants.R_OK, `the script of workload ${workload.name}`);
  const nonce = newNonce();
  const init = join(options.stagingDir, 'init');
  const list = join(options.stagingDir, 'initramfs.list');
  await writeFile(init, initScript(options.workloads.map((workload) => workload.name), nonce), { mode: 0o700 });
  await writeFile(list, cpioList({ busybox: options.busybox, init, workloads: options.workloads }), { mode: 0o600 });
  const { file, args } = wrapCommand(options.sandbox, [options.genInitCpio, list], { cwd: options.stagingDir });
  const env = options.sandbox ? { env: options.sandbox.env, extendEnv: false } : {};
  const packed = await execa(file, args, { ...env, stdout: { file: outPath }, stderr: 'pipe', reject: false, timeout: PACK_TIMEOUT_MS });
  if (packed.exitCode !== 0) {
    throw new InitramfsError('PACK_FAILED', `gen_init_cpio failed on ${list} (exit ${packed.exitCode ?? packed.signal}): ${String(packed.stderr).trim().slice(-400)}`);
  }
  return { path: outPath, nonce };
}
