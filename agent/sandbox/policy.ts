// What a sandboxed command may see and do, as a declared policy, and the bubblewrap command line
// it becomes. Pure: nothing here starts a process or reads the file system.

/** The bubblewrap program, looked up on the agent's PATH (Debian and Fedora: package bubblewrap). */
export const BWRAP = 'bwrap';
/** The file descriptor bwrap writes its JSON status to (the runner's fourth stdio pipe). */
export const STATUS_FD = 3;
/**
 * The only variables of the agent's environment a sandboxed command sees; every other one (tokens,
 * agent settings, NODE_OPTIONS) is dropped. A lab sets what its build needs in the command itself.
 */
export const ENV_ALLOW_LIST = ['PATH', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TERM'] as const;
/** Device nodes passed through when the machine has them: QEMU's hardware acceleration. */
export const PASSED_DEVICES = ['/dev/kvm'] as const;
/** Where a resolver stub lives on systemd machines; /etc/resolv.conf may point into it. */
const RESOLVER_DIR = '/run/systemd/resolve';

export interface SandboxPolicy {
  /**
   * Bound read-only again after the private /tmp and /run are mounted, for paths that may lie below
   * them (the tester's tree, the config folder). Skipped when absent.
   */
  readable: readonly string[];
  /** Covered by an empty file system: not visible at all (the state directory, other jobs). */
  hidden: readonly string[];
  /** Bound read-write, after the hidden paths (the job's own directories inside them). Skipped when absent. */
  writable: readonly string[];
  /** Bound read-only after the hidden paths (the job's own files a step only reads). Skipped when absent. */
  ownReadable: readonly string[];
  /** Loopback only when false (a network namespace of its own); the host's network when true. */
  network: boolean;
  /** The command's whole environment (the runner adds the stage's own variables). */
  env: Readonly<Record<string, string>>;
}

/**
 * The bwrap arguments for `policy`, up to and including `--`; the command follows. In order: the
 * whole file system read-only, fresh /dev, /proc (its own PID namespace), /tmp, /dev/shm and /run,
 * then the readable, hidden, writable and own readable paths, each later mount covering the earlier ones. Every
 * namespace is new (user, mount, PID, IPC, UTS, cgroup, network unless opened), no capability is
 * kept (not even when the agent runs as root), the command leads a new session (no terminal
 * injection) and dies with the agent.
 */
export function bwrapArgs(policy: SandboxPolicy, options: { cwd: string; statusFd?: number }): string[] {
  const pairs = (flag: string, paths: readonly string[]) => paths.flatMap((path) => [flag, path, path]);
  return [
    '--die-with-parent', '--new-session', '--unshare-all', ...(policy.network ? ['--share-net'] : []), '--cap-drop', 'ALL',
    '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/dev/shm', '--tmpfs', '/run',
    ...(policy.network ? pairs('--ro-bind-try', [RESOLVER_DIR]) : []),
    ...pairs('--ro-bind-try', policy.readable),
    ...policy.hidden.flatMap((path) => ['--tmpfs', path]),
    ...pairs('--bind-try', policy.writable),
    ...pairs('--ro-bind-try', policy.ownReadable),
    ...pairs('--dev-bind-try', PASSED_DEVICES),
    '--chdir', options.cwd,
    ...(options.statusFd === undefined ? [] : ['--json-status-fd', String(options.statusFd)]),
    '--',
  ];
}

/** The allow-listed variables of `from`, then `set` on top. */
export function sandboxEnvironment(from: Readonly<Record<string, string | undefined>>, set: Readonly<Record<string, string>> = {}): Record<string, string> {
  const kept = ENV_ALLOW_LIST.flatMap((name) => (from[name] === undefined ? [] : [[name, from[name]!] as const]));
  return { ...Object.fromEntries(kept), ...set };
}

/**
 * Whether bwrap ran the command, from what it wrote to its status descriptor: the `exit-code`
 * document is written only once the command has run inside the finished sandbox, so its absence
 * after bwrap exits on its own means the sandbox could not be set up (an infrastructure fault).
 */
export function commandRan(statusText: string): boolean {
  return /"exit-code"\s*:/.test(statusText);
}

/**
 * `argv` as the program and arguments to start: inside bwrap with `policy` (its status on
 * `statusFd` when given), or as it is without one.
 */
export function wrapCommand(policy: SandboxPolicy | undefined, argv: readonly string[], options: { cwd: string; statusFd?: number }): { file: string; args: string[] } {
  if (!policy) return { file: argv[0]!, args: argv.slice(1) };
  return { file: BWRAP, args: [...bwrapArgs(policy, options), ...argv] };
}
