// `darkroom fetch`: a co-maintainer the submitter sealed the bundle to gets the series as git am
// input, and `git am` of it on the base gives the tree the agents tested; a maintainer who joined
// the embargo after the submit gets nothing it can open, not even from a copy of the coordinator's data,
// until the submitter approves them and runs `darkroom rewrap`; one never approved gets nothing still.
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
import { fingerprint, type Identity } from '../../shared/identity.js';
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

/** What the agent tested: its offer's stanza opens the payload it pulls, applied as its pipeline does. */
async function agentTested(agent: ScriptedAgent, dir: string, base: string): Promise<{ repositoryDir: string; tree: string; patches: string[] }> {
  const offer = await until('the job offered', () => [...agent.offers.values()][0]);
  const agentPayload = await fetchPayload(agent.channel!, { bundleId: offer.bundleId, size: Number(offer.payloadBytes), path: join(dir, 'agent.payload') });
  const opened = await openBundle({ signedHeader: offer.header, stanzas: [offer.stanza], payload: { path: agentPayload } }, { identity: agent.identity, trust: () => true, destination: join(dir, 'agent-open') });
  const repository = await createDemoRepository(join(dir, 'demo-repo'));
  assert.equal(repository.base, base);
  const agentTree = new GitTree(repository.dir, join(dir, 'agent-clone'));
  await agentTree.checkout(base);
  assert.equal((await agentTree.apply(base, opened.targets[0]!.patches)).failedPatch, undefined);
  return { repositoryDir: repository.dir, tree: await treeOf(agentTree.dir), patches: opened.targets[0]!.patches.map((patch) => patch.slice(patch.lastIndexOf('/') + 1)).sort() };
}

/** Plain `git am` of a fetched tree's patch files on a clone at the base; returns the tree it gives. */
async function gitAmTree(repositoryDir: string, base: string, patchDir: string, clone: string): Promise<string> {
  const patches = (await readdir(patchDir)).sort();
  await execa('git', ['clone', '--quiet', repositoryDir, clone], { env: GIT_ENV });
  await execa('git', ['checkout', '--quiet', '--detach', base], { cwd: clone, env: GIT_ENV });
  await execa('git', ['am', '--quiet', ...patches.map((name) => join(patchDir, name))], { cwd: clone, env: GIT_ENV });
  return treeOf(clone);
}

/** The coordinator's copy of a bundle (header, its `stanzaCount` stanzas, payload) opened with `identity`: refused, nothing written. */
async function assertCopyUnopenable(lab: Lab, bundleId: string, options: { identity: Identity; destination: string; stanzaCount: number }): Promise<void> {
  const copy = lab.admin((store) => ({
    header: store.bundles.require(bundleId).header,
    stanzas: store.db.prepare<[string], { stanza: Buffer }>('SELECT stanza FROM stanzas WHERE bundle_id = ?').all(bundleId).map((row) => new Uint8Array(row.stanza)),
  }));
  assert.equal(copy.stanzas.length, options.stanzaCount);
  await assert.rejects(
    openBundle({ signedHeader: copy.header, stanzas: copy.stanzas, payload: { path: payloadPath(lab.dataDir, bundleId) } }, { identity: options.identity, trust: () => true, destination: options.destination }),
    { code: 'NOT_FOR_ME' },
  );
  assert.equal(await readFile(options.destination).then(() => true, () => false), false);
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

  const tested = await agentTested(agent, dir, base);

  // The co-maintainer, as a real `darkroom fetch` process, then plain git am on a clone at the base.
  const out = join(dir, 'kim-out');
  const fetched = await runCli(['fetch', submitted.bundleId, '--tree', DEMO_TREE, '--out', out, '--home', kim.dir]);
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.match(fetched.stdout, /signed by mia \(DR1:/);
  assert.deepEqual((await readdir(join(out, DEMO_TREE))).sort(), tested.patches);
  assert.deepEqual((await readdir(out)).sort(), [DEMO_TREE], 'nothing but the tree directory is left in --out');
  assert.equal(await gitAmTree(tested.repositoryDir, base, join(out, DEMO_TREE), join(dir, 'kim-clone')), tested.tree, 'the same tree the agent tested');

  // A maintainer who joined the embargo's group after the submit was not sealed to.
  const late = await maintainerHome(lab, dir, 'late');
  const lateConnection = await connectMaintainer(late, { logger: silentLogger });
  t.after(() => lateConnection.close());
  await assert.rejects(fetchBundle(lateConnection, { bundleId: submitted.bundleId, out: join(dir, 'late-out'), home: late }), { code: 'NOT_FOUND', message: /was not sealed to 'late'/ });
  assert.deepEqual(await filesUnder(join(dir, 'late-out')).catch(() => []), []);
  await assertCopyUnopenable(lab, submitted.bundleId, { identity: lateConnection.identity, destination: join(dir, 'late-open'), stanzaCount: 3 }); // one each for the agent, mia and kim
});

test('a maintainer approved after the submit can fetch once the submitter runs darkroom rewrap, and git am gives the tree the agent tested; one never approved still gets nothing', async (t) => {
  const dir = await tempDir(t, 'dr-fetch-rewrap-');
  const lab = await startLab(t);
  const agent = await ScriptedAgent.enrol(lab, 'lab-1', { trees: [DEMO_TREE], group: 'lab' });
  t.after(() => agent.close());
  const mia = await maintainerHome(lab, dir, 'mia');
  lab.admin((store) => store.write(() => store.embargoes.create({ name: EMBARGO, testers: '@lab', maintainers: '@kernel', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin', now: Date.now() })));
  await agent.connect(lab);
  const base = await readSeriesBase(DEMO_SERIES_DIR);
  await approveParties(mia, [{ name: 'lab-1', role: 'agent', fingerprint: fingerprint(agent.identity) }]);
  const submitter = await connectMaintainer(mia, { logger: silentLogger });
  const submitted = await submitBundle(mia, submitter, { embargo: EMBARGO, targets: [{ tree: DEMO_TREE, base, series: DEMO_SERIES_DIR }], workloads: [] });
  await submitter.close();
  assert.deepEqual(submitted.maintainers, ['mia']);
  const bundleId = submitted.bundleId;
  const tested = await agentTested(agent, dir, base);

  // kim and eve join the embargo's group after the submit; each approves mia, whose signature a fetch checks.
  const kim = await maintainerHome(lab, dir, 'kim');
  const eve = await maintainerHome(lab, dir, 'eve');
  const miaFingerprint = fingerprint(await mia.identity());
  for (const home of [kim, eve]) {
    const trusted = await runCli(['trust', 'maintainer', 'mia', '--fingerprint', miaFingerprint, '--home', home.dir]);
    assert.equal(trusted.code, 0, trusted.stderr);
  }
  const kimOut = join(dir, 'kim-out');
  const early = await runCli(['fetch', bundleId, '--out', kimOut, '--home', kim.dir]);
  assert.notEqual(early.code, 0, 'kim cannot fetch before the rewrap');
  assert.match(early.stderr, /was not sealed to 'kim'/);
  assert.deepEqual(await filesUnder(kimOut).catch(() => []), []);

  // mia approves kim (the fingerprint kim sent her outside Darkroom), not eve, and rewraps.
  const approved = await runCli(['trust', 'maintainer', 'kim', '--fingerprint', fingerprint(await kim.identity()), '--home', mia.dir]);
  assert.equal(approved.code, 0, approved.stderr);
  const rewrapped = await runCli(['rewrap', bundleId, '--home', mia.dir]);
  assert.equal(rewrapped.code, 0, rewrapped.stderr);
  assert.ok(rewrapped.stdout.includes(`Sealed bundle ${bundleId} to maintainer kim: 0 new jobs; kim can now run 'darkroom fetch ${bundleId}'`), rewrapped.stdout);
  assert.ok(rewrapped.stderr.includes(`left out maintainer eve (${fingerprint(await eve.identity())}): not approved by you or by a co-maintainer you approved`), rewrapped.stderr);
  const again = await runCli(['rewrap', bundleId, '--home', mia.dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(again.stdout.includes(`No new eligible agent or approved maintainer for bundle ${bundleId}`), again.stdout);

  const fetched = await runCli(['fetch', bundleId, '--out', kimOut, '--home', kim.dir]);
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.match(fetched.stdout, /signed by mia \(DR1:/);
  assert.deepEqual((await readdir(join(kimOut, DEMO_TREE))).sort(), tested.patches);
  assert.equal(await gitAmTree(tested.repositoryDir, base, join(kimOut, DEMO_TREE), join(dir, 'kim-clone')), tested.tree, 'the same tree the agent tested');

  const eveOut = join(dir, 'eve-out');
  const refused = await runCli(['fetch', bundleId, '--out', eveOut, '--home', eve.dir]);
  assert.notEqual(refused.code, 0, 'eve, never approved, cannot fetch');
  assert.match(refused.stderr, /was not sealed to 'eve'/);
  assert.deepEqual(await filesUnder(eveOut).catch(() => []), []);
  await assertCopyUnopenable(lab, bundleId, { identity: await eve.identity(), destination: join(dir, 'eve-open'), stanzaCount: 3 }); // the agent, mia and kim
});
