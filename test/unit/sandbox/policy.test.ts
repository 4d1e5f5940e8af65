// The sandbox policy as data: which paths are bound how and in what order, the environment
// allow-list, the network switch, the job's policies, and what the probe tells a tester.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bwrapArgs, commandRan, diagnose, ENV_ALLOW_LIST, JobSandbox, sandboxEnvironment, wrapCommand, type JobLayout, type SandboxPolicy } from '../../../agent/sandbox/index.js';

const POLICY: SandboxPolicy = {
  readable: ['/srv/linux', '/etc/darkroom'], hidden: ['/var/lib/darkroom', '/dev/shm/darkroom'], writable: ['/dev/shm/darkroom/jobs/j1'],
  ownReadable: ['/dev/shm/darkroom/jobs/j1/series/0001.patch'], network: false, env: { PATH: '/usr/bin' },
};

/** The mounts in the order bwrap makes them, as [flag, destination]. */
function mounts(args: readonly string[]): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (['--ro-bind', '--ro-bind-try', '--bind-try', '--dev-bind-try'].includes(flag)) found.push([flag, args[(i += 2)]!]);
    else if (['--tmpfs', '--dev', '--proc'].includes(flag)) found.push([flag, args[(i += 1)]!]);
  }
  return found;
}

test('bwrap arguments: the system read-only, then private /dev /proc /tmp /dev/shm /run, readable, hidden, writable, own readable, in that order', () => {
  const args = bwrapArgs(POLICY, { cwd: '/dev/shm/darkroom/jobs/j1', statusFd: 3 });
  assert.deepEqual(mounts(args), [
    ['--ro-bind', '/'], ['--dev', '/dev'], ['--proc', '/proc'], ['--tmpfs', '/tmp'], ['--tmpfs', '/dev/shm'], ['--tmpfs', '/run'],
    ['--ro-bind-try', '/srv/linux'], ['--ro-bind-try', '/etc/darkroom'],
    ['--tmpfs', '/var/lib/darkroom'], ['--tmpfs', '/dev/shm/darkroom'],
    ['--bind-try', '/dev/shm/darkroom/jobs/j1'],
    ['--ro-bind-try', '/dev/shm/darkroom/jobs/j1/series/0001.patch'],
    ['--dev-bind-try', '/dev/kvm'],
  ]);
  for (const flag of ['--die-with-parent', '--new-session', '--unshare-all']) assert.ok(args.includes(flag), flag);
  assert.deepEqual(args.slice(args.indexOf('--cap-drop'), args.indexOf('--cap-drop') + 2), ['--cap-drop', 'ALL'], 'no capability kept, even as root');
  assert.equal(args.includes('--share-net'), false, 'no network by default');
  assert.deepEqual(args.slice(-5), ['--chdir', '/dev/shm/darkroom/jobs/j1', '--json-status-fd', '3', '--']);
});

test('opening the network shares the host network and the resolver, nothing else changes', () => {
  const closed = bwrapArgs(POLICY, { cwd: '/' });
  const open = bwrapArgs({ ...POLICY, network: true }, { cwd: '/' });
  assert.ok(open.includes('--share-net'));
  const resolver = open.indexOf('/run/systemd/resolve');
  assert.deepEqual(open.slice(resolver - 1, resolver + 2), ['--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve']);
  assert.deepEqual([...open.slice(0, resolver - 1), ...open.slice(resolver + 2)].filter((arg) => arg !== '--share-net'), closed);
});

test('the environment is built from the allow-list, never inherited', () => {
  const host = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/root', DARKROOM_TOKEN: 'secret', NODE_OPTIONS: '--max-semi-space-size=1', SSH_AUTH_SOCK: '/run/ssh' };
  assert.deepEqual(sandboxEnvironment(host, { HOME: '/w/scratch' }), { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/w/scratch' });
  assert.ok(!ENV_ALLOW_LIST.some((name) => /TOKEN|KEY|SSH|NODE|HOME/.test(name)));
});

test('a command is wrapped in bwrap only with a policy', () => {
  assert.deepEqual(wrapCommand(undefined, ['git', 'am', 'x.patch'], { cwd: '/c' }), { file: 'git', args: ['am', 'x.patch'] });
  const wrapped = wrapCommand(POLICY, ['git', 'am', 'x.patch'], { cwd: '/c' });
  assert.equal(wrapped.file, 'bwrap');
  assert.deepEqual(wrapped.args.slice(-4), ['--', 'git', 'am', 'x.patch']);
});

test('bwrap ran the command only when its status names an exit code', () => {
  assert.equal(commandRan('{ "child-pid": 12 }\n{ "exit-code": 2 }\n'), true);
  assert.equal(commandRan('{ "child-pid": 12 }\n'), false, 'set-up failed after the child was made');
  assert.equal(commandRan(''), false);
});

const LAYOUT: JobLayout = {
  stateDir: '/var/lib/darkroom', workspaceRoot: '/var/lib/darkroom/workspace', jobDir: '/var/lib/darkroom/workspace/jobs/j1',
  scratchDir: '/var/lib/darkroom/workspace/jobs/j1/scratch', cloneDir: '/var/lib/darkroom/workspace/trees/linux',
  buildDir: '/var/lib/darkroom/workspace/build/linux', treeSource: '/srv/linux', configDir: '/etc/darkroom', treeNetwork: false,
};

test('a job\'s stage commands: own workspace, clone and build dir writable; state dir and other jobs hidden; network per tree or workload', () => {
  const sandbox = new JobSandbox(LAYOUT, { PATH: '/usr/bin', HOME: '/var/lib/darkroom' });
  const stage = sandbox.command();
  assert.deepEqual(stage.hidden, ['/var/lib/darkroom', '/var/lib/darkroom/workspace']);
  assert.deepEqual(stage.writable, [LAYOUT.jobDir, LAYOUT.cloneDir, LAYOUT.buildDir]);
  assert.deepEqual(stage.readable, ['/srv/linux', '/etc/darkroom']);
  assert.deepEqual(stage.env, { PATH: '/usr/bin', HOME: LAYOUT.scratchDir }, 'HOME is the job\'s scratch, not the agent\'s home (its state dir here)');
  assert.equal(stage.network, false);
  assert.equal(sandbox.command({ network: true }).network, true, 'a workload that opened it');
  assert.equal(new JobSandbox({ ...LAYOUT, treeNetwork: true }, {}).command().network, true, 'a tree that opened it');
});

test('a job\'s git steps: only the clone writable, the patches read-only, no network, HOME the sandbox\'s empty /tmp', () => {
  const git = new JobSandbox(LAYOUT, { PATH: '/usr/bin' }).git([`${LAYOUT.jobDir}/series/bundle/0001.patch`]);
  assert.deepEqual(git.writable, [LAYOUT.cloneDir]);
  assert.deepEqual(git.ownReadable, [`${LAYOUT.jobDir}/series/bundle/0001.patch`]);
  assert.deepEqual(git.readable, ['/srv/linux']);
  assert.deepEqual(git.hidden, ['/var/lib/darkroom', '/var/lib/darkroom/workspace']);
  assert.equal(git.network, false);
  assert.equal(git.env.HOME, '/tmp');
});

test('the probe says what works and, when it does not, why and what to do', () => {
  const facts = { version: 'bubblewrap 0.8.0', exitCode: 0, stderr: '', uid: 1000, sysctl: {} };
  assert.deepEqual(diagnose(facts), { ok: true, summary: 'bubblewrap 0.8.0 works here (unprivileged user namespaces)' });
  assert.deepEqual(diagnose({ ...facts, uid: 0 }), { ok: true, summary: 'bubblewrap 0.8.0 works here (the agent runs as root)' });
  const cases: Array<[Partial<typeof facts> & { sysctl?: Record<string, string> }, RegExp]> = [
    [{ version: undefined }, /bwrap is not installed or not on PATH: install bubblewrap \(Debian, Ubuntu: apt-get install bubblewrap/],
    [{ exitCode: 1, stderr: 'bwrap: No permissions to create new namespace', sysctl: { maxUserNamespaces: '0' } }, /bwrap failed \(exit 1: bwrap: No permissions to create new namespace\); user namespaces are turned off \(user\.max_user_namespaces = 0\): sysctl -w user\.max_user_namespaces=10000 .* or run the agent as root/],
    [{ exitCode: 1, sysctl: { unprivilegedUsernsClone: '0' } }, /kernel\.unprivileged_userns_clone = 0\): sysctl -w kernel\.unprivileged_userns_clone=1/],
    [{ exitCode: 1, sysctl: { apparmorRestrict: '1' } }, /AppArmor restricts unprivileged user namespaces .* AppArmor profile/],
    [{ exitCode: 1 }, /RestrictNamespaces=/],
  ];
  for (const [change, expected] of cases) {
    const { version, ...rest } = { ...facts, ...change };
    const probe = diagnose({ ...rest, ...(version === undefined ? {} : { version }) });
    assert.equal(probe.ok, false);
    assert.match(probe.ok ? '' : probe.problem, expected);
  }
});
