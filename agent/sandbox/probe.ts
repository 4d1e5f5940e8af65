// Whether the sandbox works on this machine: bwrap is there and can make its namespaces. Run by
// `agent check` and before `agent run` starts; a failure says why and what the tester can do.
// Uses node:child_process, not execa: the daemon runs it at start-up, before any job machinery loads.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { DarkroomError } from '../../shared/errors.js';
import { BWRAP, bwrapArgs } from './policy.js';

/** How long the trial sandbox may take to start and end. */
export const PROBE_TIMEOUT_MS = 10_000;

export type SandboxProbe = { ok: true; summary: string } | { ok: false; problem: string };

export type SandboxErrorCode = 'SANDBOX_UNAVAILABLE';

/** The sandbox was asked for and cannot work here: the agent does not start without it. */
export class SandboxError extends DarkroomError<SandboxErrorCode> {}

/** What `agent check` and the start-up log say of `sandbox: none`. */
export const UNSAFE_NO_SANDBOX = 'sandbox: none is UNSAFE: the code under test runs as the agent\'s own user and can read its keys, its outbox and other jobs, and reach the network; remove the line to run every command in the sandbox';

/** What the probe saw, for `diagnose`. */
export interface ProbeFacts {
  /** bwrap's version line; absent when it could not be run at all. */
  version?: string;
  /** The trial run's exit status (0: works) and what bwrap printed. */
  exitCode?: number;
  stderr: string;
  uid: number;
  /** The kernel settings that decide unprivileged user namespaces (absent: the file is not there). */
  sysctl: { maxUserNamespaces?: string; unprivilegedUsernsClone?: string; apparmorRestrict?: string };
}

const INSTALL = 'install bubblewrap (Debian, Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) or run scripts/install-system-deps.sh';
const AS_ROOT = 'or run the agent as root';

/** Pure: what the facts say about the sandbox, and what to do when it does not work. */
export function diagnose(facts: ProbeFacts): SandboxProbe {
  if (facts.version === undefined) return { ok: false, problem: `The sandbox program ${BWRAP} is not installed or not on PATH: ${INSTALL}` };
  const how = facts.uid === 0 ? 'the agent runs as root' : 'unprivileged user namespaces';
  if (facts.exitCode === 0) return { ok: true, summary: `${facts.version} works here (${how})` };
  const said = facts.stderr.trim().split('\n').at(-1) ?? '';
  const { maxUserNamespaces, unprivilegedUsernsClone, apparmorRestrict } = facts.sysctl;
  const cause = maxUserNamespaces === '0' ? `user namespaces are turned off (user.max_user_namespaces = 0): sysctl -w user.max_user_namespaces=10000 (and in /etc/sysctl.d/) ${AS_ROOT}`
    : unprivilegedUsernsClone === '0' ? `unprivileged user namespaces are turned off (kernel.unprivileged_userns_clone = 0): sysctl -w kernel.unprivileged_userns_clone=1 (and in /etc/sysctl.d/) ${AS_ROOT}`
    : apparmorRestrict === '1' && facts.uid !== 0 ? `AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1): give ${BWRAP} an AppArmor profile with the userns permission (docs/sandbox.md) ${AS_ROOT}`
    : `check that the kernel allows user namespaces for this user and that no seccomp or systemd setting (RestrictNamespaces=) forbids them, ${AS_ROOT}`;
  return { ok: false, problem: `The sandbox does not work on this machine: ${BWRAP} failed (exit ${facts.exitCode ?? 'none'}${said ? `: ${said}` : ''}); ${cause}` };
}

const sysctl = (name: string) => readFile(`/proc/sys/${name}`, 'utf8').then((text) => text.trim(), () => undefined);

interface Ran {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[], timeout: number): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(BWRAP, args, { timeout, killSignal: 'SIGKILL', env: { PATH: process.env.PATH ?? '' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : undefined) : 0;
      resolve({ exitCode: code, stdout: String(stdout), stderr: String(stderr) || (error && code === undefined ? error.message : '') });
    });
  });
}

/** Starts one trial sandbox with the same options a job's commands get, and says what it found. */
export async function probeSandbox(options: { timeoutMs?: number } = {}): Promise<SandboxProbe> {
  const timeout = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const version = await run(['--version'], timeout);
  const policy = { readable: [], hidden: [], writable: [], ownReadable: [], network: false, env: {} };
  const trial = version.exitCode === 0 ? await run([...bwrapArgs(policy, { cwd: '/' }), 'true'], timeout) : undefined;
  return diagnose({
    ...(version.exitCode === 0 ? { version: version.stdout.trim() } : {}),
    ...(trial?.exitCode === undefined ? {} : { exitCode: trial.exitCode }),
    stderr: trial?.stderr ?? '',
    uid: process.getuid?.() ?? -1,
    sysctl: {
      maxUserNamespaces: await sysctl('user/max_user_namespaces'),
      unprivilegedUsernsClone: await sysctl('kernel/unprivileged_userns_clone'),
      apparmorRestrict: await sysctl('kernel/apparmor_restrict_unprivileged_userns'),
    },
  });
}
