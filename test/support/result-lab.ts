// A coordinator with real agent processes on the demo project and a maintainer home that submits
// through the client, for tests of what results carry and who can read them.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setEmbargoBar } from '../../coordinator/admin/bar.js';
import { connectMaintainer, enrolMaintainer, type MaintainerConnection } from '../../maintainer/connection.js';
import { createDemoRepository, DEMO_SERIES_DIR, readSeriesBase } from '../../maintainer/demo/project.js';
import { MaintainerHome } from '../../maintainer/home.js';
import { submitBundle } from '../../maintainer/submit.js';
import { approveAgents } from './approvals.js';
import { silentLogger } from '../../shared/log.js';
import { killHard, runCli, startAgent, writeAgentConfig } from './agent-process.js';
import { tempDir } from './bundle-fixture.js';
import { issueToken, startLab, type Lab } from './coordinator-lab.js';
import { until } from './demo-job.js';

export const RESULT_LAB_EMBARGO = 'CVE-RESULTS';
const BUNDLE_TIMEOUT_MS = 180_000;

export interface ResultLabAgent {
  name: string;
  hardwareClass: string;
  /** Runs the unit workload with 64K pages, so holds_one_page fails. */
  failingUnit?: boolean;
}

export interface ResultLab {
  lab: Lab;
  dir: string;
  home: MaintainerHome;
  connection: MaintainerConnection;
  /** The commit the demo series applies to; every agent's tree has it. */
  base: string;
  /** Submits a series directory for the ringbuf tree through the maintainer client; resolves to the bundle id. */
  submit(series: string): Promise<string>;
  /** Waits until every job of the bundle is done. */
  complete(bundleId: string): Promise<void>;
}

/** The contact each agent states at enrolment, and signs into its results. */
export const contactOf = (agent: string): string => `${agent} <${agent}@example.org>`;

export async function startResultLab(t: TestContext, options: { agents: readonly ResultLabAgent[]; bar?: string }): Promise<ResultLab> {
  const lab = await startLab(t, { policy: { leaseMs: 30_000 } });
  const dir = await tempDir(t, 'dr-results-');
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const child of children) await killHard(child);
  });
  const home = new MaintainerHome(join(dir, 'alice'));
  await enrolMaintainer(home, { coordinator: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, token: issueToken(lab, 'maintainer', 'alice'), logger: silentLogger });
  for (const agent of options.agents) {
    const repo = await createDemoRepository(join(dir, agent.name, 'ringbuf'));
    const setup = await writeAgentConfig(join(dir, agent.name), { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, trust: [await home.identity()], name: agent.name, tree: repo.dir, hardwareClass: agent.hardwareClass, failingUnit: agent.failingUnit ?? false });
    const enrolled = await runCli(['agent', 'enroll', '--config', setup.config, '--token', issueToken(lab, 'agent', agent.name, ['lab']), '--contact', contactOf(agent.name)]);
    if (enrolled.code !== 0) throw new Error(`agent enroll failed: ${enrolled.stderr}`);
    children.push(startAgent(setup));
  }
  lab.admin((store) => {
    const now = Date.now();
    store.write(() => store.embargoes.create({ name: RESULT_LAB_EMBARGO, testers: '@lab', maintainers: 'alice', until: new Date(now + 86_400_000).toISOString() }, { actor: 'admin:test', now }));
    if (options.bar) setEmbargoBar(store, { embargo: RESULT_LAB_EMBARGO, file: 'bar.yaml', text: options.bar }, { actor: 'admin:test', now });
  });
  await until('every agent to connect', () => lab.admin((store) => options.agents.every((agent) => store.parties.byName(agent.name)?.connectedSince !== null)));
  const connection = await connectMaintainer(home, { logger: silentLogger });
  t.after(() => connection.close());
  await approveAgents(home, lab.admin((store) => store.parties.list('agent')));
  const base = await readSeriesBase(DEMO_SERIES_DIR);
  return {
    lab, dir, home, connection, base,
    submit: async (series) => (await submitBundle(home, connection, { embargo: RESULT_LAB_EMBARGO, targets: [{ tree: 'ringbuf', base, series }], workloads: [] })).bundleId,
    complete: async (bundleId) => {
      await until(`bundle ${bundleId} to complete`, () => {
        const jobs = lab.admin((store) => store.jobs.byBundle(bundleId));
        return jobs.length === options.agents.length && jobs.every((job) => job.state === 'done');
      }, BUNDLE_TIMEOUT_MS);
    },
  };
}
