import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const FINGERPRINT = 'DR1:AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH';

const MAINTAINER = 'DR1:MIAM-AINT-AINE-RKEY-2222-3333-4444-5555';

async function agentCheck(config: string, command = 'check'): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'agent', command, '--config', config], { env: { ...process.env, DARKROOM_LOG_LEVEL: 'silent' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A lab: a real git checkout with one commit, and a config naming it and trusting `trusted`. */
async function makeLab(extra = '', trusted = [MAINTAINER]): Promise<{ dir: string; config: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-lab-'));
  await mkdir(join(dir, 'linux'));
  await run('git', ['init', '-q', join(dir, 'linux')]);
  await run('git', ['-C', join(dir, 'linux'), '-c', 'user.name=Lab', '-c', 'user.email=lab@example.org', 'commit', '-q', '--allow-empty', '-m', 'base']);
  await mkdir(join(dir, 'state'), { mode: 0o700 });
  const config = join(dir, 'agent.yaml');
  await writeFile(config, `coordinator:
  url: wss://coordinator.example.org:8443
  fingerprint: ${FINGERPRINT}
trusted_maintainers: [${trusted.join(', ')}]
state_dir: ./state
hardware_class: auto
trees:
  linux: ./linux
${extra}build: {command: make -j$(nproc), timeout: 1h}
workloads:
  - {name: kselftest-net, command: make -C tools/testing/selftests TARGETS=net run_tests, format: ktap, timeout: 45m}
`);
  return { dir, config };
}

test('a good config on a ready machine passes and shows hardware, class, trees and workloads', async () => {
  const lab = await makeLab();
  const result = await agentCheck(lab.config);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.match(result.stdout, /^signers +bundles signed by this maintainer only \(trusted_maintainers\)\n {2}DR1:MIAM-AINT-AINE-RKEY-2222-3333-4444-5555$/m);
  assert.match(result.stdout, /^state dir +.*: private \(0700\), writable$/m);
  assert.match(result.stdout, /^class +[^/\s]+\/[^/\s]+\/\S+ \(derived\)$/m);
  assert.match(result.stdout, /^ {2}linux +\S+\/linux +git ok at [0-9a-f]{12} +build 1h, boot none, workloads: kselftest-net$/m);
  assert.match(result.stdout, /^ {2}kselftest-net +ktap +45m/m);
  assert.match(result.stdout, /^Ready: /m);
});

test('every problem gets its own message and the exit code is non-zero', async () => {
  const lab = await makeLab('  stable: ./not-a-checkout\n');
  await mkdir(join(lab.dir, 'not-a-checkout'));
  await chmod(join(lab.dir, 'state'), 0o755);
  const result = await agentCheck(lab.config);
  assert.equal(result.code, 1);
  const errors = result.stderr.trim().split('\n');
  assert.equal(errors.length, 2, result.stderr);
  assert.match(errors[0]!, /^darkroom: error: Tree stable is unusable: .*not-a-checkout is not a git repository/);
  assert.match(errors[1]!, /^darkroom: error: State directory .*state is open to other users \(mode 0755\): chmod 700 /);
  assert.match(result.stdout, /^ {2}stable +\S+ +UNUSABLE/m);
  assert.match(result.stdout, /^2 problems to fix/m);
});

test('with no trusted maintainer, check says the agent runs no bundle and fails, and run refuses to start', async () => {
  const lab = await makeLab('', []);
  const check = await agentCheck(lab.config);
  assert.equal(check.code, 1);
  assert.match(check.stdout, /^signers +none pinned: this agent runs no bundle$/m);
  const refusal = `darkroom: error: No maintainer is trusted: ${lab.config} lists no fingerprint under trusted_maintainers, so this agent would refuse every bundle; add the fingerprints your maintainers sent you outside the coordinator (each runs \`darkroom fingerprint\`)`;
  assert.deepEqual(check.stderr.trim().split('\n'), [refusal]);
  assert.match(check.stdout, /^One problem to fix/m);
  const started = await agentCheck(lab.config, 'run');
  assert.equal(started.code, 1);
  assert.equal(started.stderr.trim(), `${refusal} [NO_TRUSTED_MAINTAINERS]`);
});

test('an invalid config is reported line by line before anything else is checked', async () => {
  const lab = await makeLab();
  await writeFile(lab.config, `coordinator:\n  url: wss://c.example.org\n  fingerprint: ${FINGERPRINT}\nstate_dir: ./state\ntrees: {linux: ./linux}\nboot:\n  method: command\n  command: ./boot.sh\n  timeout: banana\nworkloads: [{name: x, command: ./x, formt: tap}]\n`);
  const result = await agentCheck(lab.config);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.deepEqual(result.stderr.trim().split('\n'), [
    `darkroom: error: ${lab.config}:9: boot.timeout: expected a duration like 10m, got "banana"`,
    `darkroom: error: ${lab.config}:10: workloads[0].formt: unknown key: check its spelling and indentation (see examples/agent.yaml)`,
  ]);
});
