import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, declaredWorkloads, loadAgentConfig, treeSettings } from '../../../agent/config/index.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/agent.yaml', import.meta.url));
const FINGERPRINT = 'DR1:AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH';

const HEAD = `coordinator:
  url: wss://coordinator.example.org:8443
  fingerprint: ${FINGERPRINT}
state_dir: ./state
`;

async function writeConfig(body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-config-'));
  const path = join(dir, 'agent.yaml');
  await writeFile(path, body);
  return path;
}

async function problemsOf(body: string): Promise<string[]> {
  const path = await writeConfig(body);
  try {
    await loadAgentConfig(path);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.problems.map((line) => line.slice(path.length));
  }
  assert.fail('the config was accepted');
}

test('the documented example loads and maps onto the pipeline settings', async () => {
  const config = await loadAgentConfig(EXAMPLE);
  assert.equal(config.coordinator.url, 'wss://darkroom.example.org:8443');
  assert.equal(config.stateDir, '/var/lib/darkroom');
  assert.deepEqual(config.workspace, { root: '/dev/shm/darkroom', memoryBacked: true });
  assert.deepEqual(config.trees.map((tree) => tree.name), ['linux-mainline', 'linux-6.1.y']);
  const stable = treeSettings(config, 'linux-6.1.y');
  assert.equal(stable.build?.timeoutMs, 3 * 3_600_000);
  assert.match(stable.build?.command ?? '', /olddefconfig/);
  assert.equal(treeSettings(config, 'linux-mainline').build?.timeoutMs, 2 * 3_600_000);
  assert.deepEqual(declaredWorkloads(config), [
    { name: 'kselftest-net', format: 'ktap' },
    { name: 'ltp-syscalls', format: 'ltp' },
    { name: 'smoke', format: 'tap' },
  ]);
});

test('the Linux profile in examples/linux loads: tinyconfig recipe, reused build directory, qemu boot, in-guest KTAP', async () => {
  const config = await loadAgentConfig(fileURLToPath(new URL('../../../../examples/linux/agent.yaml', import.meta.url)));
  const linux = treeSettings(config, 'linux');
  const dir = fileURLToPath(new URL('../../../../examples/linux/', import.meta.url)).replace(/\/$/, '');
  assert.equal(linux.configDir, dir);
  assert.match(linux.build?.command ?? '', /KCONFIG_BASE=tinyconfig .*build-kernel\.sh/);
  assert.equal(linux.reuseBuildDir, true);
  assert.equal(config.hardwareClass, 'x86_64/QEMU-TCG/tinyconfig');
  assert.deepEqual(linux.boot, {
    method: 'qemu', binary: 'qemu-system-x86_64', kernel: '${BUILD_DIR}/arch/x86/boot/bzImage', memoryMb: 256, cpus: 1, append: 'console=ttyS0 panic=-1',
    extraArgs: ['-nic', 'none'], timeoutMs: 3 * 60_000, busybox: '/bin/busybox', genInitCpio: '${BUILD_DIR}/usr/gen_init_cpio',
  });
  assert.deepEqual(linux.workloads.map((w) => [w.name, w.command, w.format, w.inGuest]), [['smoke', join(dir, 'guest', 'kernel-smoke.sh'), 'ktap', true]]);
});

test('defaults: concurrency 1, auto class, on-disk workspace, no boot, timeouts, exit-code format', async () => {
  const path = await writeConfig(`${HEAD}trees:\n  linux: ../linux\nworkloads:\n  - name: smoke\n    command: make -j$(nproc) check\n`);
  const config = await loadAgentConfig(path);
  const dir = join(path, '..');
  assert.equal(config.concurrency, 1);
  assert.equal(config.hardwareClass, 'auto');
  assert.equal(config.stateDir, join(dir, 'state'));
  assert.deepEqual(config.workspace, { root: join(dir, 'state', 'workspace'), memoryBacked: false });
  assert.deepEqual(treeSettings(config, 'linux'), {
    name: 'linux',
    path: join(dir, '..', 'linux'),
    configDir: dir,
    build: null,
    reuseBuildDir: false,
    boot: { method: 'none' },
    workloads: [{ name: 'smoke', command: 'make -j$(nproc) check', timeoutMs: 3_600_000, format: 'exit-code', inGuest: false }],
  });
});

test('reuse_build_dir is set for all trees or per tree; in-guest scripts may live in the checkout', async () => {
  const path = await writeConfig(`${HEAD}reuse_build_dir: true
trees:
  linux: /srv/linux
  stable: {path: /srv/stable, reuse_build_dir: false}
boot: {method: qemu}
workloads:
  - {name: lab, command: guest/smoke.sh, in_guest: true}
  - {name: series, command: '\${TREE}/tools/testing/selftests/darkroom/boot.sh', in_guest: true}
`);
  const config = await loadAgentConfig(path);
  assert.equal(treeSettings(config, 'linux').reuseBuildDir, true);
  assert.equal(treeSettings(config, 'stable').reuseBuildDir, false);
  assert.deepEqual(treeSettings(config, 'linux').workloads.map((w) => w.command), [join(path, '..', 'guest', 'smoke.sh'), '${TREE}/tools/testing/selftests/darkroom/boot.sh']);
  assert.deepEqual(await problemsOf(`${HEAD}trees: {linux: {path: /srv/linux, reuse_build_dir: sometimes}}\n`), [':5: trees.linux.reuse_build_dir: expected true or false, got "sometimes"']);
});

test('qemu boot gets its documented defaults; build outputs are relative to the build directory', async () => {
  const path = await writeConfig(`${HEAD}trees: {linux: /srv/linux}\nboot:\n  method: qemu\n  gen_init_cpio: usr/gen_init_cpio\n  busybox: tools/busybox\n  binary: ./bin/qemu\n`);
  const config = await loadAgentConfig(path);
  assert.deepEqual(treeSettings(config, 'linux').boot, {
    method: 'qemu',
    binary: join(path, '..', 'bin', 'qemu'),
    kernel: '${BUILD_DIR}/arch/x86/boot/bzImage',
    memoryMb: 256,
    cpus: 1,
    append: 'console=ttyS0 panic=-1',
    extraArgs: [],
    timeoutMs: 10 * 60_000,
    busybox: join(path, '..', 'tools', 'busybox'),
    genInitCpio: '${BUILD_DIR}/usr/gen_init_cpio',
  });
});

test('reboot and kexec boots keep their command and the kernel check', async () => {
  const path = await writeConfig(`${HEAD}trees: {linux: /srv/linux}\nboot:\n  method: kexec\n  command: sudo /usr/local/sbin/kexec-built-kernel\n  expected: echo 6.9.0-darkroom\n  timeout: 15m\n`);
  assert.deepEqual(treeSettings(await loadAgentConfig(path), 'linux').boot, {
    method: 'kexec', command: 'sudo /usr/local/sbin/kexec-built-kernel', expectKernelCommand: 'uname -r', expected: 'echo 6.9.0-darkroom', timeoutMs: 15 * 60_000,
  });
});

test('a tree mapping replaces the build, boot and workloads for that tree only', async () => {
  const path = await writeConfig(`${HEAD}trees:
  a: /srv/a
  b:
    path: /srv/b
    build: null
    boot: {method: command, command: ./boot-board.sh, timeout: 90s}
    workloads: [{name: only-b, command: ./run.sh, format: junit, junit_file: out/results.xml}]
build: {command: make, timeout: 1h30m}
workloads: [{name: common, command: ./common.sh, format: tap, timeout: 20m}]
`);
  const config = await loadAgentConfig(path);
  const a = treeSettings(config, 'a');
  const b = treeSettings(config, 'b');
  assert.deepEqual(a.build, { command: 'make', timeoutMs: 90 * 60_000 });
  assert.deepEqual(a.workloads.map((w) => w.name), ['common']);
  assert.equal(b.build, null);
  assert.deepEqual(b.boot, { method: 'command', command: './boot-board.sh', timeoutMs: 90_000 });
  assert.deepEqual(b.workloads, [{ name: 'only-b', command: './run.sh', timeoutMs: 3_600_000, format: 'junit', inGuest: false, junitFile: 'out/results.xml' }]);
});

test('trusted_maintainers: fingerprints in canonical spelling, once each; absent or empty means none, which loads (check and run refuse it)', async () => {
  const pinned = 'DR1:MIAM-AINT-AINE-RKEY-2222-3333-4444-5555';
  const path = await writeConfig(`${HEAD}trusted_maintainers:\n  - dr1:miamaintainerkey2222333344445555\n  - ${pinned}\ntrees: {linux: /srv/linux}\n`);
  assert.deepEqual((await loadAgentConfig(path)).trustedMaintainers, [pinned]);
  for (const body of ['', 'trusted_maintainers:\n', 'trusted_maintainers: []\n']) {
    assert.deepEqual((await loadAgentConfig(await writeConfig(`${HEAD}${body}trees: {linux: /srv/linux}\n`))).trustedMaintainers, []);
  }
  assert.deepEqual((await loadAgentConfig(EXAMPLE)).trustedMaintainers, [pinned], 'the example pins one maintainer');
});

test('a trusted maintainer that is not a fingerprint names its line and the expected form', async () => {
  const problems = await problemsOf(`${HEAD}trusted_maintainers:\n  - mia@example.org\n  - 12\ntrees: {linux: /srv/linux}\n`);
  assert.equal(problems.length, 2);
  assert.match(problems[0]!, /^:6: trusted_maintainers\[0\]: Fingerprint 'mia@example\.org' is not of the form DR1:XXXX-XXXX/);
  assert.match(problems[1]!, /^:7: trusted_maintainers\[1\]: expected a fingerprint like DR1:XXXX-…, got 12/);
});

test('a duration that is not one names the key, the line and the value', async () => {
  const problems = await problemsOf(`${HEAD}trees: {linux: /srv/linux}\nboot:\n  method: command\n  command: ./boot.sh\n  timeout: banana\n`);
  assert.deepEqual(problems, [':9: boot.timeout: expected a duration like 10m, got "banana"']);
});

test('unknown keys are errors, one per key, each on its own line', async () => {
  const problems = await problemsOf(`${HEAD}colour: blue\ntrees:\n  linux:\n    path: /srv/linux\n    bulid: {command: make}\nboot: {method: qemu, memory: 512}\n`);
  assert.equal(problems.length, 3);
  assert.match(problems[0]!, /^:5: colour: unknown key/);
  assert.match(problems[1]!, /^:9: trees\.linux\.bulid: unknown key/);
  assert.match(problems[2]!, /^:10: boot\.memory: unknown key/);
});

test('wrong types say what was expected and what arrived, for every problem at once', async () => {
  const problems = await problemsOf(`coordinator:
  url: http://coordinator.example.org
  fingerprint: not-a-fingerprint
state_dir: 7
concurrency: 0
hardware_class: "has spaces"
workspace: {tmpfs: 3}
trees: {linux: /srv/linux}
boot: {method: warp}
workloads:
  - name: ok
    command: ./x
    timeout: 600
    format: tapp
    in_guest: yes
`);
  assert.deepEqual(problems, [
    ':2: coordinator.url: expected a ws:// or wss:// URL, got "http://coordinator.example.org"',
    ":3: coordinator.fingerprint: Fingerprint 'not-a-fingerprint' is not of the form DR1:XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX: copy it from 'darkroom coordinator init' or 'status'",
    ':4: state_dir: expected a directory path, got 7',
    ':5: concurrency: expected a whole number from 1 to 64, got 0',
    ':6: hardware_class: expected auto or a class like x86_64/AMD/EPYC-7763, got "has spaces"',
    ':7: workspace.tmpfs: expected true, false or the path of a memory-backed mount, got 3',
    ':9: boot.method: expected one of none, command, qemu, kexec, reboot, got "warp"',
    ':13: workloads[0].timeout: expected a duration like 10m, got 600',
    ':14: workloads[0].format: expected one of exit-code, tap, ktap, ltp, junit, got "tapp"',
    ':15: workloads[0].in_guest: expected true or false, got "yes"',
  ]);
});

test('missing required keys are reported where their parent is written', async () => {
  const problems = await problemsOf(`coordinator:\n  url: wss://c.example.org\nstate_dir: /var/lib/darkroom\n`);
  assert.deepEqual(problems, [':1: coordinator.fingerprint: is required', ':1: trees: is required']);
});

test('rules across keys: duplicate workloads, in_guest without qemu, junit_file without junit, no trees', async () => {
  const problems = await problemsOf(`${HEAD}trees: {}
workloads:
  - {name: smoke, command: ./a.sh}
  - {name: smoke, command: ./b.sh, in_guest: true}
  - {name: unit, command: ./c.sh, junit_file: r.xml}
`);
  assert.deepEqual(problems, [
    ':5: trees: declare at least one tree: NAME: PATH of your git checkout',
    ':8: workloads[1].name: workload smoke is declared twice: give each workload its own name',
  ]);
  const more = await problemsOf(`${HEAD}trees: {linux: /srv/linux}
workloads:
  - {name: smoke, command: ./b.sh, in_guest: true}
  - {name: unit, command: ./c.sh, junit_file: r.xml}
`);
  assert.equal(more.length, 2);
  assert.match(more[0]!, /^:7: workloads\[0\]\.in_guest: in_guest needs boot method qemu, but tree linux boots with method none/);
  assert.match(more[1]!, /^:8: workloads\[1\]\.junit_file: junit_file is only read for format junit/);
});

test('YAML syntax errors name their line', async () => {
  const problems = await problemsOf(`${HEAD}trees:\n  linux: /srv/linux\n  linux: /srv/other\n`);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^:7: \(yaml\): Map keys must be unique/);
});

test('a workspace path must be memory-backed; /dev/shm is', async () => {
  const onDisk = await mkdtemp(join(tmpdir(), 'darkroom-disk-'));
  const problems = await problemsOf(`${HEAD}workspace:\n  tmpfs: ${onDisk}\ntrees: {linux: /srv/linux}\n`);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^:6: workspace\.tmpfs: .* is not on a memory-backed file system \(statfs type 0x[0-9a-f]+\): mount a tmpfs there/);
  const path = await writeConfig(`${HEAD}workspace:\n  tmpfs: /dev/shm/darkroom-test/jobs\ntrees: {linux: /srv/linux}\n`);
  assert.deepEqual((await loadAgentConfig(path)).workspace, { root: '/dev/shm/darkroom-test/jobs', memoryBacked: true });
});

test('a missing file and an undeclared tree are errors that say what to do', async () => {
  await assert.rejects(loadAgentConfig('/nonexistent/agent.yaml'), (error: ConfigError) => error.code === 'CONFIG_UNREADABLE' && /Cannot read the agent config \/nonexistent\/agent\.yaml/.test(error.message));
  const config = await loadAgentConfig(EXAMPLE);
  assert.throws(() => treeSettings(config, 'linux-5.4.y'), (error: ConfigError) => error.code === 'TREE_UNKNOWN' && /declared: linux-mainline, linux-6\.1\.y/.test(error.message));
});
