// `darkroom fetch`: a co-maintainer the submitter sealed the bundle to gets the series as git am
// input, and `git am` of it on the base gives the tree the agents tested; a maintainer who joined
// the embargo after the submit gets nothing it can open, not even from a copy of the coordinator's data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { GitTree } from '../../agent/pipeline/git-tree.js';
import { payloadPath } from '../../coordinator/store/bundles.js';
import { connectMaintainer, enrolMaintainer } from '../../maintainer/connection.js';
import { createDemoRepository, DEMO_SERIES_DIR, DEMO_TREE, readSeriesBase } from '../../maintainer/demo/project.js';
import { fetchBundle } from '../../maintainer/fetch.js';
import { MaintainerHome } from '../../maintainer/home.js';
import { submitBundle } from '../../maintainer/submit.js';
import { openBundle } from '../../shared/bundle/index.js';
import { silentLogger } from '../../shared/log.js';
import { fetchPayload } from '../../transport/payload-fetch.js';
import { approveParties } from '../../maintainer/approvals.js';
import { fingerprint } from '../../shared/identity.js';
import { runCli } from '../support/agent-process.js';
import { filesUnder, tempDir } from '../support/bundle-fixture.js';
import { issueToken, startLab, type Lab } from '../support/coordinator-lab.js';
import { until } from '../support/demo-job.js';
import { ScriptedAgent } from '../support/scripted-agent.js';

const EMBARGO = 'cve-fetch';
const GIT_ENV = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.org' };

async function maintainerHome(lab: Lab, dir: string, name: string): Promise<MaintainerHome> {
  const home = new MaintainerHome(join(dir, name));
  await enrolMaintainer(home, { coordinator: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, token: issueToken(lab, 'maintainer', name, ['kernel']), logger: silentLogger });
  return home;
}

async function treeOf(dir: string): Promise<string> {
  return (await execa('git', ['rev-parse', 'HEAD^{tree}'], { cwd: dir, env: GIT_ENV })).stdout.trim();
}

test('a co-maintainer fetches the series and git am gives the tree the agent tested; a maintainer not sealed to gets nothing it can open', async (t) => {
  const dir = await tempDir(t, 'dr-fetch-');
  const lab = await startLab(t);
  const agent = await ScriptedAgent.enrol(lab, 'lab-1', { trees: [DEMO_TREE], group: 'lab' });
  t.after(() => agent.close());
  const mia = await maintainerHome(lab, dir, 'mia');
  const kim = await maintainerHome(lab, dir, 'kim');
  lab.admin((store) => store.write(() => store.embargoes.create({ name: EMBARGO, testers: '@lab', maintainers: '@kernel', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin', now: Date.now() })));
  await agent.connect(lab);

  const submitter = await connectMaintainer(mia, { logger: silentLogger });
  t.after(() => submitter.close());
  const base = await readSeriesBase(DEMO_SERIES_DIR);
  // Approvals made from fingerprints exchanged outside the coordinator (docs/trust.md): mia approves
  // her tester's agent and kim; kim approves mia, whose signature her fetch then trusts.
  await approveParties(mia, [{ name: 'lab-1', role: 'agent', fingerprint: fingerprint(agent.identity) }, { name: 'kim', role: 'maintainer', fingerprint: fingerprint(await kim.identity()) }]);
  await approveParties(kim, [{ name: 'mia', role: 'maintainer', fingerprint: fingerprint(await mia.identity()) }]);
  const submitted = await submitBundle(mia, submitter, { embargo: EMBARGO, targets: [{ tree: DEMO_TREE, base, series: DEMO_SERIES_DIR }], workloads: [] });
  assert.deepEqual(submitted.maintainers.sort(), ['kim', 'mia']);

  // What the agent tested: its offer's stanza opens the payload it pulls, applied as its pipeline does.
  const offer = await until('the job offered', () => [...agent.offers.values()][0]);
  const agentPayload = await fetchPayload(agent.channel!, { bundleId: offer.bundleId, size: Number(offer.payloadBytes), path: join(dir, 'agent.payload') });
  const opened = await openBundle({ signedHeader: offer.header, stanzas: [offer.stanza], payload: { path: agentPayload } }, { identity: agent.identity, trust: () => true, destination: join(dir, 'agent-open') });
  const repository = await createDemoRepository(join(dir, 'demo-repo'));
  assert.equal(repository.base, base);
  const agentTree = new GitTree(repository.dir, join(dir, 'agent-clone'));
  assert.equal((await agentTree.apply(base, opened.targets[0]!.patches)).failedPatch, undefined);

  // The co-maintainer, as a real `darkroom fetch` process, then plain git am on a clone at the base.
  const out = join(dir, 'kim-out');
  const fetched = await runCli(['fetch', submitted.bundleId, '--tree', DEMO_TREE, '--out', out, '--home', kim.dir]);
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.match(fetched.stdout, /signed by mia \(DR1:/);
  const patches = (await readdir(join(out, DEMO_TREE))).sort();
  assert.deepEqual(patches, opened.targets[0]!.patches.map((patch) => patch.slice(patch.lastIndexOf('/') + 1)).sort());
  assert.deepEqual((await readdir(out)).sort(), [DEMO_TREE], 'nothing but the tree directory is left in --out');
  const clone = join(dir, 'kim-clone');
  await execa('git', ['clone', '--quiet', repository.dir, clone], { env: GIT_ENV });
  await execa('git', ['checkout', '--quiet', '--detach', base], { cwd: clone, env: GIT_ENV });
  await execa('git', ['am', '--quiet', ...patches.map((name) => join(out, DEMO_TREE, name))], { cwd: clone, env: GIT_ENV });
  assert.equal(await treeOf(clone), await treeOf(agentTree.dir), 'the same tree the agent tested');

  // A maintainer who joined the embargo's group after the submit was not sealed to.
  const late = await maintainerHome(lab, dir, 'late');
  const lateConnection = await connectMaintainer(late, { logger: silentLogger });
  t.after(() => lateConnection.close());
  await assert.rejects(fetchBundle(lateConnection, { bundleId: submitted.bundleId, out: join(dir, 'late-out'), home: late }), { code: 'NOT_FOUND', message: /was not sealed to 'late'/ });
  assert.deepEqual(await filesUnder(join(dir, 'late-out')).catch(() => []), []);
  const copy = lab.admin((store) => ({
    header: store.bundles.require(submitted.bundleId).header,
    stanzas: store.db.prepare<[string], { stanza: Buffer }>('SELECT stanza FROM stanzas WHERE bundle_id = ?').all(submitted.bundleId).map((row) => new Uint8Array(row.stanza)),
  }));
  assert.equal(copy.stanzas.length, 3, 'one stanza each for the agent, mia and kim');
  await assert.rejects(
    openBundle({ signedHeader: copy.header, stanzas: copy.stanzas, payload: { path: payloadPath(lab.dataDir, submitted.bundleId) } }, { identity: lateConnection.identity, trust: () => true, destination: join(dir, 'late-open') }),
    { code: 'NOT_FOR_ME' },
  );
  assert.equal(await readFile(join(dir, 'late-open')).then(() => true, () => false), false);
});
