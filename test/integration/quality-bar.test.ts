// The quality bar on results from real agent processes: met with a pre-existing failure told apart
// from a regression, failed by a regression on a second bundle whose base runs come from the cache,
// not yet met when the bar asks for more classes; notifications; Tested-by trailers of exactly the
// passing testers; an exported result that verifies, and fails once tampered with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { setEmbargoBar } from '../../coordinator/admin/bar.js';
import { connectMaintainer, enrolMaintainer, type MaintainerConnection } from '../../maintainer/connection.js';
import { createDemoRepository, DEMO_SERIES_DIR, readSeriesBase } from '../../maintainer/demo/project.js';
import { MaintainerHome } from '../../maintainer/home.js';
import { reportToJson } from '../../maintainer/render/report.js';
import { submitBundle } from '../../maintainer/submit.js';
import { silentLogger } from '../../shared/log.js';
import { fingerprint } from '../../shared/identity.js';
import { BASE_CACHE_DIR } from '../../agent/base-run/cache.js';
import { killHard, runCli, startAgent, writeAgentConfig, type AgentSetup } from '../support/agent-process.js';
import { tempDir } from '../support/bundle-fixture.js';
import { makeSeries } from '../support/c-project.js';
import { issueToken, startLab, type Lab } from '../support/coordinator-lab.js';
import { until } from '../support/demo-job.js';

const EMBARGO = 'CVE-BAR';
const BAR = 'build: {classes: 2}\nworkloads:\n  unit: {classes: 1}\n  stress: {classes: 2}\nno_new_failures: true\n';
const AGENTS = [
  { name: 'lab-x', hardwareClass: 'x86_64/Test/One', failingUnit: false },
  { name: 'lab-y', hardwareClass: 'aarch64/Test/64K', failingUnit: true },
] as const;
const BUNDLE_TIMEOUT_MS = 180_000;

interface BarJson {
  verdict: string;
  missing: string[];
  broken: Array<{ resultId: string; jobId: string; agent: string; column: string; case: string; reason: string; baseStatus: string | null }>;
  classification: { pass: number; regression: number; preExisting: number; fixed: number; fixedCases: string[] } | null;
}

async function report(connection: MaintainerConnection, bundleId: string): Promise<darkroom.v1.Report> {
  return (await connection.channel.request({ reportRequest: { bundleId } })).report as darkroom.v1.Report;
}

function barOf(value: darkroom.v1.Report): BarJson {
  return reportToJson(value).bar as BarJson;
}

function complete(lab: Lab, bundleId: string): Promise<true> {
  return until(`bundle ${bundleId} to complete`, () => {
    const jobs = lab.admin((store) => store.jobs.byBundle(bundleId));
    return jobs.length === AGENTS.length && jobs.every((job) => job.state === 'done');
  }, BUNDLE_TIMEOUT_MS);
}

/** The decoded signed results of a bundle, by agent. */
function resultsByAgent(lab: Lab, bundleId: string): Map<string, darkroom.v1.Result> {
  return lab.admin((store) => new Map(store.results.byBundle(bundleId).map((stored) => {
    const result = darkroom.v1.Result.decode(darkroom.v1.SignedResult.decode(stored.signed).result);
    return [result.agentName, result];
  })));
}

test('bars met, failed and not met on results from real agents, with trailers and offline verify', { timeout: 600_000 }, async (t) => {
  const lab = await startLab(t, { policy: { leaseMs: 30_000 } });
  const dir = await tempDir(t, 'dr-bar-');
  const agents: ChildProcess[] = [];
  t.after(async () => {
    for (const agent of agents) await killHard(agent);
  });
  const setups: AgentSetup[] = [];
  for (const agent of AGENTS) {
    const repo = await createDemoRepository(join(dir, agent.name, 'ringbuf'));
    const setup = await writeAgentConfig(join(dir, agent.name), { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, name: agent.name, tree: repo.dir, hardwareClass: agent.hardwareClass, failingUnit: agent.failingUnit });
    const enrolled = await runCli(['agent', 'enroll', '--config', setup.config, '--token', issueToken(lab, 'agent', agent.name, ['lab'])]);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    agents.push(startAgent(setup));
    setups.push(setup);
  }
  const home = new MaintainerHome(join(dir, 'alice'));
  await enrolMaintainer(home, { coordinator: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, token: issueToken(lab, 'maintainer', 'alice'), logger: silentLogger });
  lab.admin((store) => {
    const now = Date.now();
    store.write(() => store.embargoes.create({ name: EMBARGO, testers: '@lab', maintainers: 'alice', until: new Date(now + 86_400_000).toISOString() }, { actor: 'admin:test', now }));
    setEmbargoBar(store, { embargo: EMBARGO, file: 'bar.yaml', text: BAR }, { actor: 'admin:test', now });
  });
  await until('both agents to connect', () => lab.admin((store) => AGENTS.every((agent) => store.parties.byName(agent.name)?.connectedSince !== null)));

  const connection = await connectMaintainer(home, { logger: silentLogger });
  t.after(() => connection.close());
  const notified: darkroom.v1.Notification.$Properties[] = [];
  connection.channel.handle((envelope) => {
    if (envelope.notification) notified.push(envelope.notification);
  });
  await connection.channel.request({ subscribe: { all: true } });
  const base = await readSeriesBase(DEMO_SERIES_DIR);
  const submit = (series: string) => submitBundle(home, connection, { embargo: EMBARGO, targets: [{ tree: 'ringbuf', base, series }], workloads: [], confirm: async () => true });

  // 1. The demo series: both classes build and pass stress; lab-y's holds_one_page fails on the base too.
  const good = (await submit(DEMO_SERIES_DIR)).bundleId;
  await complete(lab, good);
  const met = await report(connection, good);
  assert.equal(barOf(met).verdict, 'met', JSON.stringify(barOf(met)));
  assert.deepEqual(barOf(met).classification, { pass: 19, regression: 0, preExisting: 1, fixed: 0, fixedCases: [] });
  assert.deepEqual(reportToJson(met).failures.map((f) => [f.agent, f.case, f.classification]), [['lab-y', 'holds_one_page', 'pre-existing']]);
  await until('the BAR_MET notification', () => notified.find((n) => n.kind === darkroom.v1.NotificationKind.BAR_MET && n.bundleId === good));
  const first = resultsByAgent(lab, good);
  for (const agent of AGENTS) assert.equal(first.get(agent.name)!.stages.find((s) => s.name === 'workload:unit')!.baseCached, false, `${agent.name} ran its base`);
  for (const setup of setups) assert.equal((await readdir(join(setup.stateDir, BASE_CACHE_DIR))).filter((f) => f.endsWith('.json')).length, 2, 'one cache entry per workload');

  const shown = await runCli(['report', good, '--home', home.dir]);
  assert.match(shown.stdout, /^Quality bar: met$/m);
  assert.match(shown.stdout, /lab-y\s+unit\s+holds_one_page: FAIL \(pre-existing, FAIL on base\)/);
  assert.match(shown.stdout, /^Cases against the base: 19 pass, 0 regression, 1 pre-existing, 0 fixed$/m);

  // Trailers: exactly the tester whose result passed (lab-y's result is a FAIL, if a pre-existing one).
  const exportDir = join(dir, 'export');
  const trailers = await runCli(['trailers', good, '--home', home.dir, '--export', exportDir]);
  assert.equal(trailers.code, 0, trailers.stderr);
  const xKey = lab.admin((store) => store.parties.byName('lab-x')!);
  const xResultId = lab.admin((store) => store.results.byBundle(good).find((r) => store.jobs.get(r.jobId)!.agentName === 'lab-x')!.resultId);
  assert.equal(trailers.stdout, `Tested-by: lab-x <lab-x@example.org>\nDarkroom-Result: ${xResultId} signed-by ${fingerprint(xKey)}\n`);
  const files = (await readdir(exportDir)).sort();
  assert.equal(files.length, 2, 'every verified result is exported, passing or not');
  const exported = join(exportDir, `${xResultId}.result.json`);
  const verified = await runCli(['verify', exported, '--home', home.dir]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, new RegExp(`^Verified: result ${xResultId} signed by agent lab-x \\(${fingerprint(xKey)}\\)$`, 'm'));
  const file = JSON.parse(await readFile(exported, 'utf8')) as { signedResult: string };
  const signed = darkroom.v1.SignedResult.decode(Buffer.from(file.signedResult, 'base64'));
  const forged = darkroom.v1.Result.decode(signed.result);
  forged.hardwareClass = 'x86_64/Someone/Else';
  const tampered = join(dir, 'tampered.result.json');
  await writeFile(tampered, JSON.stringify({ ...file, signedResult: Buffer.from(darkroom.v1.SignedResult.encode({ result: darkroom.v1.Result.encode(forged).finish(), signature: signed.signature }).finish()).toString('base64') }));
  const refused = await runCli(['verify', tampered, '--home', home.dir]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, '');
  assert.match(refused.stderr, /^darkroom: error: Signature on result for job .* does not verify against agent lab-x's key: it was altered or signed by another key \[RESULT_SIGNATURE\]$/m);
  const unpinned = await runCli(['verify', exported, '--home', join(dir, 'nobody')]);
  assert.equal(unpinned.code, 1);
  assert.match(unpinned.stderr, /No key is pinned for agent 'lab-x'.*\[RESULT_KEY_UNKNOWN\]/);

  // 2. A regression on the same base: the base runs come from the agents' caches.
  const seriesDir = join(dir, 'regression');
  const scratch = await createDemoRepository(join(dir, 'scratch-ringbuf'));
  await makeSeries(scratch.dir, scratch.base, [{ file: 'ringbuf.c', from: 'return rb->capacity - rb->len;', to: 'return rb->capacity - rb->len - 1;', subject: 'ringbuf: keep one byte spare' }], seriesDir);
  const bad = (await submit(seriesDir)).bundleId;
  await complete(lab, bad);
  const failed = barOf(await report(connection, bad));
  assert.equal(failed.verdict, 'failed');
  const second = resultsByAgent(lab, bad);
  const regressions = failed.broken.filter((b) => b.reason === 'regression');
  assert.ok(regressions.some((b) => b.agent === 'lab-x' && b.column === 'workload:unit' && b.case === 'write_stops_when_full' && b.baseStatus === 'PASS'), JSON.stringify(failed.broken));
  const badResultIds = lab.admin((store) => store.results.byBundle(bad).map((r) => r.resultId));
  for (const broken of failed.broken) assert.ok(badResultIds.includes(broken.resultId), 'the broken entry names a stored result');
  assert.ok(!failed.broken.some((b) => b.case === 'holds_one_page'), 'the pre-existing failure is still not counted');
  for (const agent of AGENTS) {
    for (const stage of second.get(agent.name)!.stages.filter((s) => s.name?.startsWith('workload:'))) assert.equal(stage.baseCached, true, `${agent.name} ${stage.name} reused its cached base`);
  }
  await until('the BAR_FAILED notification', () => notified.find((n) => n.kind === darkroom.v1.NotificationKind.BAR_FAILED && n.bundleId === bad));
  assert.equal(notified.filter((n) => n.kind === darkroom.v1.NotificationKind.BAR_MET && n.bundleId === good).length, 1, 'met is notified once');
  await until('lab-x to log that it reused its base', async () => /base outcomes reused from the cache/.test(await readFile(join(setups[0]!.dir, 'agent.log'), 'utf8')));

  // 3. Not met: a bar that asks for a third hardware class, judged live on the same results.
  lab.admin((store) => setEmbargoBar(store, { embargo: EMBARGO, file: 'bar.yaml', text: 'build: {classes: 3}\nno_new_failures: true\n' }, { actor: 'admin:test', now: Date.now() }));
  const pending = barOf(await report(connection, good));
  assert.equal(pending.verdict, 'pending');
  assert.deepEqual(pending.missing, ['build: 1 more hardware class']);
  const status = (await connection.channel.request({ statusRequest: { bundleId: good } })).bundleStatus!;
  assert.equal((JSON.parse(status.barVerdictJson!) as BarJson).verdict, 'pending', 'watch sees the verdict in the status');
  await until('the running coordinator to re-judge after the bar changed', () => lab.admin((store) => store.barVerdicts.get(good) === 'pending'));
  lab.admin((store) => setEmbargoBar(store, { embargo: EMBARGO, file: 'bar.yaml', text: BAR }, { actor: 'admin:test', now: Date.now() }));
  await until('BAR_MET again once the original bar is back', () => notified.filter((n) => n.kind === darkroom.v1.NotificationKind.BAR_MET && n.bundleId === good).length === 2);
});
