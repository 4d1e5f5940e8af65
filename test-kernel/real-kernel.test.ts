// Issue 8 end to end, on a real Linux kernel: a coordinator on loopback, one agent process with the
// documented Linux profile (examples/linux/), a maintainer using the CLI who submits three series
// against the prepared tree: (a) passes everywhere, (b) breaks the build, (c) panics early in boot.
// Run by `npm run test:kernel` (scripts/test-kernel.sh), not by `npm test`: it builds a kernel.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { darkroom } from '../proto/darkroom.js';
import { BASE_MARKER } from '../agent/pipeline/build-cache.js';
import { setEmbargoBar } from '../coordinator/admin/bar.js';
import { connectMaintainer } from '../maintainer/connection.js';
import { fetchResultDetails } from '../maintainer/details.js';
import { MaintainerHome } from '../maintainer/home.js';
import { fingerprint, readIdentity } from '../shared/identity.js';
import { silentLogger } from '../shared/log.js';
import { statusFromProto } from '../shared/status.js';
import { runCli, startAgent } from '../test/support/agent-process.js';
import { tempDir } from '../test/support/bundle-fixture.js';
import { kcidbProblems } from '../test/support/kcidb-schema.js';
import { issueToken, startLab, type Lab } from '../test/support/coordinator-lab.js';
import {
  BOOT_MESSAGE, BUILD_BREAKING_SERIES, PANIC_MESSAGE, PANICKING_SERIES, PASSING_SERIES, SERIES_WORKLOAD, TREE_NAME,
  filesContaining, makeSeries, preparedTree, writeProfile, type AgentProfile, type Change, type PreparedTree,
} from './kernel-lab.js';
import { VERDICT_GOAL_RATIO, agentLogLines, describeVerdictTime, fullBaseBuilds, verdictTime, warmUps, type VerdictTime } from './verdict-time.js';

/** A first run builds the whole kernel (about 2.5 min on 2 idle cores); a loaded machine is slower. */
const TEST_TIMEOUT_MS = 45 * 60_000;
const AGENT = 'lab-qemu-tiny';
const HARDWARE_CLASS = 'x86_64/QEMU-TCG/tinyconfig';
const EMBARGO = 'CVE-2026-KERNEL';
const AGENT_STOP_GRACE_MS = 30_000;

type Verdicts = Record<string, string>;

interface JobRun {
  bundleId: string;
  jobId: string;
  /** From `darkroom submit` to the end of `darkroom watch`: every job ended, the bar's verdict known. */
  verdictMs: number;
  report: { complete: boolean; status: string; rows: Array<{ hardwareClass: string; cells: Array<{ column: string; status: string | null }> }>; bar: { verdict: string } | null };
  reportCode: number;
  table: string;
  stages: darkroom.v1.IStageResult[];
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(args);
}

async function ok(args: string[]): Promise<string> {
  const run = await cli(args);
  assert.equal(run.code, 0, `darkroom ${args.join(' ')} exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

function stopAgent(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), AGENT_STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const verdicts = (stages: readonly darkroom.v1.IStageResult[]): Verdicts => Object.fromEntries(stages.map((s) => [s.name!, statusFromProto(s.status!)]));
const cases = (stages: readonly darkroom.v1.IStageResult[], name: string) =>
  (stages.find((s) => s.name === name)?.cases ?? []).map((c) => `${c.name}: ${statusFromProto(c.status!)}`);

class Maintainer {
  readonly home: string;
  readonly #lab: Lab;
  readonly #tree: PreparedTree;
  readonly #dir: string;
  #agentGone: Promise<never> = new Promise(() => undefined);

  constructor(lab: Lab, tree: PreparedTree, options: { dir: string }) {
    this.#lab = lab;
    this.#tree = tree;
    this.#dir = options.dir;
    this.home = join(options.dir, 'mia');
  }

  /** Enrols mia; resolves with her fingerprint, which the lab's agent pins. */
  async enrol(): Promise<string> {
    const token = issueToken(this.#lab, 'maintainer', 'mia');
    await ok(['enroll', '--home', this.home, '--coordinator', this.#lab.coordinator.url, '--fingerprint', this.#lab.coordinator.fingerprint, '--token', token, '--contact', 'Mia <mia@example.org>']);
    return fingerprint(await readIdentity(this.home));
  }

  /** `agent` is the agent process: a job whose agent died fails at once instead of waiting. */
  watch(agent: ChildProcess): void {
    this.#agentGone = new Promise((_, reject) => agent.once('exit', (code, signal) => reject(new Error(`The agent exited (${signal ?? code}) during the test: see ${join(this.#dir, 'agent.log')}`))));
    this.#agentGone.catch(() => undefined);
  }

  /** The tester sends the fingerprint `agent enroll` printed (`enrolled`); mia approves it (docs/trust.md). */
  async approve(enrolled: string): Promise<void> {
    const agentFingerprint = /fingerprint\s+(DR1:\S+)/.exec(enrolled)?.[1];
    assert.ok(agentFingerprint, `agent enroll printed no fingerprint: ${enrolled}`);
    await ok(['trust', 'agent', AGENT, '--fingerprint', agentFingerprint, '--home', this.home]);
  }

  /** Seals the series to the embargo's agents, waits for every job to end, reads report and results. */
  async run(changes: readonly Change[], workloads: readonly string[]): Promise<JobRun> {
    const series = await makeSeries(this.#tree, this.#dir, changes);
    const started = performance.now();
    const submitted = await ok(['submit', '--home', this.home, '--embargo', EMBARGO, '--tree', `${TREE_NAME}=${this.#tree.base}`, '--series', series, ...workloads.flatMap((w) => ['--workload', w])]);
    const bundleId = /([0-9a-f]{32})/.exec(submitted)?.[1];
    assert.ok(bundleId, `submit printed no bundle id: ${submitted}`);
    await Promise.race([ok(['watch', bundleId, '--home', this.home]), this.#agentGone]);
    const verdictMs = performance.now() - started;
    const json = await cli(['report', bundleId, '--json', '--home', this.home]);
    const table = await cli(['report', bundleId, '--home', this.home]);
    const { jobId, stages } = await this.#result(bundleId);
    return { bundleId, jobId, verdictMs, report: JSON.parse(json.stdout), reportCode: json.code, table: table.stdout, stages };
  }

  /** The agent's signed result, verified, with its sealed details (cases, reasons) opened by the maintainer. */
  async #result(bundleId: string): Promise<{ jobId: string; stages: darkroom.v1.IStageResult[] }> {
    const home = new MaintainerHome(this.home);
    const connection = await connectMaintainer(home, { logger: silentLogger });
    try {
      const details = await fetchResultDetails(connection, { bundleId, pins: await home.pins() });
      const seen = details.results.map((opened) => `attempt ${opened.verified.parts.result.attempt}: ${opened.stages.map((stage) => `${stage.name} ${statusFromProto(stage.status!)}${stage.reason ? ` (${stage.reason})` : ''}`).join(', ')}`);
      assert.equal(details.results.length, 1, `one result, from the one agent; got ${seen.join('; ')}`);
      assert.equal(details.results[0]!.problem, null, 'its details open with the maintainer\'s key');
      return { jobId: details.results[0]!.verified.parts.result.jobId, stages: details.results[0]!.stages };
    } finally {
      connection.close();
    }
  }

  async log(bundleId: string, stage: string): Promise<string> {
    return ok(['logs', bundleId, '--home', this.home, '--agent', AGENT, '--stage', stage]);
  }
}

/** The tester enrols the agent and starts it, mia approves it, and the embargo names its group and mia. */
async function startKernelAgent(t: TestContext, options: { lab: Lab; mia: Maintainer; dir: string; profile: AgentProfile }): Promise<void> {
  const { lab, mia, profile } = options;
  const enrolled = await ok(['agent', 'enroll', '--config', profile.config, '--token', issueToken(lab, 'agent', AGENT, ['kernel-lab']), '--contact', 'Kernel Lab <lab@example.org>']);
  const agent = startAgent({ dir: options.dir, config: profile.config, stateDir: profile.stateDir });
  t.after(() => stopAgent(agent));
  mia.watch(agent);
  await mia.approve(enrolled);
  const now = Date.now();
  lab.admin((store) => store.write(() => store.embargoes.create({ name: EMBARGO, testers: '@kernel-lab', maintainers: 'mia', until: new Date(now + 86_400_000).toISOString() }, { actor: 'admin', now })));
}

/** The job's stages, report and time to the verdict; `dir` holds the agent's log. */
async function describe(t: TestContext, label: string, run: JobRun, dir: string): Promise<VerdictTime> {
  t.diagnostic(`${label}: bundle ${run.bundleId}`);
  for (const stage of run.stages) {
    const ms = Number(stage.durationMs);
    const took = ms < 1_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
    t.diagnostic(`  ${stage.name}: ${statusFromProto(stage.status!)} in ${took}${stage.reason ? ` (${stage.reason})` : ''}`);
  }
  for (const line of run.table.trimEnd().split('\n')) t.diagnostic(`  | ${line}`);
  const time = verdictTime(run.verdictMs, run.stages, (await agentLogLines(dir)).filter((line) => line.jobId === run.jobId));
  t.diagnostic(`  ${describeVerdictTime(time)}`);
  return time;
}

// Issue 17: the wait for a verdict on a new base. A fresh agent (an empty workspace, so no clone
// and no build yet), a bar asking for no new failures (so the agent also runs the base) and a
// one-line series: the base is built once, not once for the series and again for the base run, and
// the time to the verdict is printed beside the work it cannot avoid. It runs first: on a machine
// whose kernel cache holds no agent workspace yet (CI) it is given the cache's empty one, and its
// base build is the one the next test's agent starts from, so CI builds the kernel twice, not three times.
test('a fresh agent and a bar asking for no new failures: one full build of the base, and the time to the verdict', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const tree = preparedTree();
  const dir = await tempDir(t, 'dr-kernel-fresh-');
  const lab = await startLab(t);
  const mia = new Maintainer(lab, tree, { dir });
  const profile = await writeProfile(dir, { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, trust: [await mia.enrol()], tree, fresh: 'unless-cache-empty' });
  t.diagnostic(`agent workspace: ${profile.workspace}`);
  await startKernelAgent(t, { lab, mia, dir, profile });
  lab.admin((store) => setEmbargoBar(store, { embargo: EMBARGO, file: 'bar.yaml', text: 'boot: {classes: 1}\nno_new_failures: true\n' }, { actor: 'admin', now: Date.now() }));

  const run = await mia.run(PASSING_SERIES.slice(0, 1), ['smoke']);
  const time = await describe(t, 'fresh agent, one-line series, base run', run, dir);
  assert.deepEqual(verdicts(run.stages), { apply: 'PASS', build: 'PASS', boot: 'PASS', 'workload:smoke': 'PASS' });
  const smoke = run.stages.find((stage) => stage.name === 'workload:smoke')!;
  assert.equal(smoke.baseStatus, 'PASS', 'the workload ran on the base too');
  assert.equal(smoke.baseCached, false, 'a fresh agent has no cached base run');
  assert.equal(run.report.bar?.verdict, 'met', run.table);

  const lines = await agentLogLines(dir);
  assert.equal(fullBaseBuilds(lines).length, 1, `one full build of the base in the agent's log, not two: ${JSON.stringify(warmUps(lines))}`);
  const baseRun = lines.find((line) => line.msg === 'base run finished');
  assert.deepEqual(baseRun?.stages?.map((stage) => [stage.name, stage.status]), [['apply', 'PASS'], ['build', 'PASS'], ['boot', 'PASS'], ['workload:smoke', 'PASS']], 'the base run, on the base build the warm-up had just made, booted and ran smoke');
  assert.equal(baseRun?.stages?.find((stage) => stage.name === 'build')?.durationMs, 0, 'the base run went first and built nothing: the warm-up\'s build was the base\'s');
  t.diagnostic(`verdict ratio ${time.ratio.toFixed(3)} (goal <= ${VERDICT_GOAL_RATIO})`);
});

test('a real kernel: a passing series, a build break and an early panic, reported under the agent\'s hardware class', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const tree = preparedTree();
  const dir = await tempDir(t, 'dr-kernel-');
  const lab = await startLab(t);
  const mia = new Maintainer(lab, tree, { dir });
  const profile = await writeProfile(dir, { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, trust: [await mia.enrol()], tree });
  t.diagnostic(`tree ${tree.dir} at ${tree.base}`);

  const check = await cli(['agent', 'check', '--config', profile.config]);
  assert.match(check.stdout, /config\s+.*: valid/, check.stdout + check.stderr);
  assert.match(check.stdout, /linux\s+.*git ok at .*build 1h \(build dir reused\), boot qemu 3m, workloads: smoke, boot-message/);
  await startKernelAgent(t, { lab, mia, dir, profile });

  // (a) Two patches: a boot message, and a guest workload in the tree that looks for it.
  const passing = await mia.run(PASSING_SERIES, []);
  await describe(t, '(a) boot message and its guest workload', passing, dir);
  const workloadStage = `workload:${SERIES_WORKLOAD.name}`;
  assert.deepEqual(verdicts(passing.stages), { apply: 'PASS', build: 'PASS', boot: 'PASS', 'workload:smoke': 'PASS', [workloadStage]: 'PASS' });
  assert.deepEqual(cases(passing.stages, workloadStage), ['boot_message_printed: PASS']);
  assert.deepEqual(cases(passing.stages, 'workload:smoke'), ['proc_version_readable: PASS', 'tmpfs_writable: PASS', 'no_oops_in_kernel_log: PASS']);
  assert.equal(passing.reportCode, 0, passing.table);
  assert.equal(passing.report.status, 'PASS');
  assert.deepEqual(passing.report.rows.map((row) => row.hardwareClass), [HARDWARE_CLASS]);
  const guestOutput = await mia.log(passing.bundleId, SERIES_WORKLOAD.name);
  assert.match(guestOutput, /^KTAP version 1$/m, 'the workload log is its part of the serial console');
  assert.match(guestOutput, /^ok 1 boot_message_printed$/m);
  assert.match(await mia.log(passing.bundleId, 'boot'), new RegExp(BOOT_MESSAGE), 'the console log holds the new boot message');

  // (b) A patch that does not compile: build FAIL, nothing booted or run.
  const broken = await mia.run(BUILD_BREAKING_SERIES, ['smoke']);
  await describe(t, '(b) build break', broken, dir);
  assert.deepEqual(verdicts(broken.stages), { apply: 'PASS', build: 'FAIL', boot: 'SKIP', 'workload:smoke': 'SKIP' });
  assert.equal(broken.reportCode, 1);
  assert.deepEqual(broken.report.rows.map((row) => [row.hardwareClass, row.cells.find((c) => c.column === 'build')?.status]), [[HARDWARE_CLASS, 'FAIL']]);
  assert.match(await mia.log(broken.bundleId, 'build'), /darkroom_undeclared_symbol/, 'the compiler error is in the build log');

  // (c) A patch that panics in the core initcalls: boot FAIL, the panic in the decrypted console.
  const panicking = await mia.run(PANICKING_SERIES, ['smoke']);
  await describe(t, '(c) early panic', panicking, dir);
  assert.deepEqual(verdicts(panicking.stages), { apply: 'PASS', build: 'PASS', boot: 'FAIL', 'workload:smoke': 'SKIP' });
  assert.match(panicking.stages.find((s) => s.name === 'boot')!.reason!, /kernel panic before the workloads started/);
  assert.equal(panicking.reportCode, 1);
  assert.deepEqual(panicking.report.rows.map((row) => [row.hardwareClass, row.cells.find((c) => c.column === 'boot')?.status]), [[HARDWARE_CLASS, 'FAIL']]);
  assert.match(await mia.log(panicking.bundleId, 'boot'), new RegExp(`Kernel panic - not syncing: ${PANIC_MESSAGE}`));

  for (const line of warmUps(await agentLogLines(dir))) t.diagnostic(`reused build directory: ${line.state ?? 'cold'} in ${((line.durationMs ?? 0) / 1000).toFixed(1)} s${line.reason ? ` (${line.reason})` : ''}`);

  // Each result was sent only after its job's plaintext was wiped: the reused build directory
  // keeps the base build and nothing built from a series, the private clone is back at the base.
  const workspace = join(profile.stateDir, 'workspace');
  const buildDir = join(workspace, 'build', TREE_NAME);
  assert.ok(existsSync(join(buildDir, BASE_MARKER)), 'the build of the base is kept for the next job');
  assert.equal(existsSync(join(buildDir, 'arch', 'x86', 'boot', 'bzImage')), false, 'the last job\'s kernel is gone');
  const needles = [BOOT_MESSAGE, PANIC_MESSAGE, 'darkroom_undeclared_symbol'];
  assert.deepEqual(filesContaining([buildDir, join(workspace, 'trees', TREE_NAME, 'init'), join(workspace, 'jobs')], needles), []);

  // Issue 16: after disclosure each bundle's results export as a document the KCIDB 5.3 schema accepts.
  lab.admin((store) => store.discloseEmbargo(EMBARGO, { actor: 'admin:test', now: Date.now() }));
  for (const run of [passing, broken, panicking]) {
    const exported = JSON.parse(await ok(['export', 'kcidb', run.bundleId, '--origin', 'darkroom_test', '--home', mia.home])) as unknown;
    assert.deepEqual(kcidbProblems(exported), [], `the KCIDB export of bundle ${run.bundleId}`);
  }
});
