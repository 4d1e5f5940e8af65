// The bar judges what ran, on results from real agent processes: `boot: { classes: 1 }` is not met
// by an agent whose boot method is `none` (its boot is SKIP), is met by one whose boot ran and
// passed, and a lab that only builds meets `build: { classes: 1 }`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { setEmbargoBar } from '../../coordinator/admin/bar.js';
import { connectMaintainer, enrolMaintainer, type MaintainerConnection } from '../../maintainer/connection.js';
import { createDemoRepository, DEMO_SERIES_DIR, readSeriesBase } from '../../maintainer/demo/project.js';
import { MaintainerHome } from '../../maintainer/home.js';
import { reportToJson } from '../../maintainer/render/report.js';
import { submitBundle } from '../../maintainer/submit.js';
import { silentLogger } from '../../shared/log.js';
import { statusFromProto } from '../../shared/status.js';
import { killHard, runCli, startAgent, writeAgentConfig } from '../support/agent-process.js';
import { tempDir } from '../support/bundle-fixture.js';
import { issueToken, startLab, type Lab } from '../support/coordinator-lab.js';
import { until } from '../support/demo-job.js';

const BOOT_BAR = 'boot: {classes: 1}\n';
const BUILD_BAR = 'build: {classes: 1}\n';
const BUNDLE_TIMEOUT_MS = 120_000;

/** One agent per embargo: the same demo project, only the boot method differs. */
const LABS = [
  { name: 'lab-noboot', hardwareClass: 'x86_64/Test/NoBoot', embargo: 'CVE-NOBOOT', boot: { method: 'none' } },
  { name: 'lab-boots', hardwareClass: 'x86_64/Test/Boots', embargo: 'CVE-BOOTS', boot: { method: 'command', command: 'true', timeout: '1m' } },
] as const;

interface BarJson {
  verdict: string;
  missing: string[];
  requirements: Array<{ requirement: string; state: string; have?: string[] }>;
}

async function bar(connection: MaintainerConnection, bundleId: string): Promise<BarJson> {
  const report = (await connection.channel.request({ reportRequest: { bundleId } })).report as darkroom.v1.Report;
  return reportToJson(report).bar as BarJson;
}

function finished(lab: Lab, bundleId: string): Promise<true> {
  return until(`bundle ${bundleId} to finish`, () => {
    const jobs = lab.admin((store) => store.jobs.byBundle(bundleId));
    return jobs.length === 1 && jobs.every((job) => job.state === 'done');
  }, BUNDLE_TIMEOUT_MS);
}

/** The boot stage's status in the bundle's one signed result. */
function bootStatus(lab: Lab, bundleId: string): string {
  const stored = lab.admin((store) => store.results.byBundle(bundleId));
  assert.equal(stored.length, 1);
  const result = darkroom.v1.Result.decode(darkroom.v1.SignedResult.decode(stored[0]!.signed).result);
  return statusFromProto(result.stages.find((stage) => stage.name === 'boot')!.status!);
}

test('a boot requirement is met only by a boot that ran and passed; a build requirement by builds', { timeout: 300_000 }, async (t) => {
  const lab = await startLab(t);
  const dir = await tempDir(t, 'dr-bar-boot-');
  const agents: ChildProcess[] = [];
  t.after(async () => {
    for (const agent of agents) await killHard(agent);
  });
  for (const agentLab of LABS) {
    const repo = await createDemoRepository(join(dir, agentLab.name, 'ringbuf'));
    const setup = await writeAgentConfig(join(dir, agentLab.name), { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, name: agentLab.name, tree: repo.dir, hardwareClass: agentLab.hardwareClass, boot: agentLab.boot });
    const enrolled = await runCli(['agent', 'enroll', '--config', setup.config, '--token', issueToken(lab, 'agent', agentLab.name, [agentLab.name])]);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    agents.push(startAgent(setup));
  }
  const home = new MaintainerHome(join(dir, 'alice'));
  await enrolMaintainer(home, { coordinator: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, token: issueToken(lab, 'maintainer', 'alice'), logger: silentLogger });
  lab.admin((store) => {
    const now = Date.now();
    for (const agentLab of LABS) {
      store.write(() => store.embargoes.create({ name: agentLab.embargo, testers: `@${agentLab.name}`, maintainers: 'alice', until: new Date(now + 86_400_000).toISOString() }, { actor: 'admin:test', now }));
      setEmbargoBar(store, { embargo: agentLab.embargo, file: 'bar.yaml', text: BOOT_BAR }, { actor: 'admin:test', now });
    }
  });
  await until('both agents to connect', () => lab.admin((store) => LABS.every((agentLab) => store.parties.byName(agentLab.name)?.connectedSince !== null)));
  const connection = await connectMaintainer(home, { logger: silentLogger });
  t.after(() => connection.close());
  const base = await readSeriesBase(DEMO_SERIES_DIR);
  const bundles = new Map<string, string>();
  for (const agentLab of LABS) {
    const { bundleId } = await submitBundle(home, connection, { embargo: agentLab.embargo, targets: [{ tree: 'ringbuf', base, series: DEMO_SERIES_DIR }], workloads: [], confirm: async () => true });
    bundles.set(agentLab.name, bundleId);
  }
  for (const bundleId of bundles.values()) await finished(lab, bundleId);

  const unbooted = bundles.get('lab-noboot')!;
  assert.equal(bootStatus(lab, unbooted), 'SKIP', 'boot method none runs no boot');
  const notMet = await bar(connection, unbooted);
  assert.equal(notMet.verdict, 'pending', JSON.stringify(notMet));
  assert.deepEqual(notMet.missing, ['boot: 1 more hardware class']);

  const booted = bundles.get('lab-boots')!;
  assert.equal(bootStatus(lab, booted), 'PASS');
  const met = await bar(connection, booted);
  assert.equal(met.verdict, 'met', JSON.stringify(met));
  assert.deepEqual(met.requirements.map((r) => [r.requirement, r.state, r.have]), [['boot', 'met', ['x86_64/Test/Boots']]]);

  lab.admin((store) => setEmbargoBar(store, { embargo: 'CVE-NOBOOT', file: 'bar.yaml', text: BUILD_BAR }, { actor: 'admin:test', now: Date.now() }));
  const built = await bar(connection, unbooted);
  assert.equal(built.verdict, 'met', 'the lab that only builds meets a build requirement');
  assert.deepEqual(built.requirements.map((r) => [r.requirement, r.state, r.have]), [['build', 'met', ['x86_64/Test/NoBoot']]]);
});
