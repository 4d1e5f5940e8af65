// A fleet of light agents under one embargo, and a small bundle sealed to all of them and accepted
// as an upload would be: one job per (agent × tree).
import type { TestContext } from 'node:test';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { payloadPath } from '../../coordinator/store/bundles.js';
import { readContainerFile, sealBundle } from '../../shared/bundle/index.js';
import type { Identity } from '../../shared/identity.js';
import { smallPatch, tempDir } from './bundle-fixture.js';
import { enrol, issueToken, type LabAddress } from './coordinator-lab.js';
import { until } from './demo-job.js';
import { ScriptedAgent } from './scripted-agent.js';

export const FLEET_EMBARGO = 'CVE-FLEET';
const GROUP = 'fleet';

export interface Fleet {
  agents: ScriptedAgent[];
  maintainer: Identity;
  trees: string[];
}

/** Enrols `count` light agents declaring `trees` and a maintainer, creates the embargo, connects the agents. */
export async function startFleet(lab: LabAddress, options: { count: number; trees: string[] }): Promise<Fleet> {
  const maintainer = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'alice'))).identity;
  const agents: ScriptedAgent[] = [];
  for (let i = 0; i < options.count; i++) agents.push(await ScriptedAgent.enrol(lab, `light-${String(i).padStart(3, '0')}`, { trees: options.trees, group: GROUP }));
  lab.admin((store) => store.write(() => store.embargoes.create({ name: FLEET_EMBARGO, testers: `@${GROUP}`, maintainers: 'alice', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin:test', now: Date.now() })));
  await Promise.all(agents.map((agent) => agent.connect(lab)));
  await until('every agent connected', () => lab.admin((store) => agents.every((agent) => store.parties.byName(agent.name)?.connectedSince)), 60_000);
  return { agents, maintainer, trees: options.trees };
}

/** Seals one small patch per tree for every agent of the fleet and accepts the bundle; returns its id. */
export async function acceptFleetBundle(t: TestContext, lab: LabAddress, fleet: Fleet): Promise<string> {
  const recipients = lab.admin((store) => fleet.agents.map((agent) => store.parties.byName(agent.name)!.boxKey));
  const sealed = await sealBundle({
    embargo: FLEET_EMBARGO, signer: { name: 'alice', identity: fleet.maintainer }, logRecipients: [{ name: 'alice', boxKey: fleet.maintainer.boxKey }], recipients,
    targets: fleet.trees.map((tree) => ({ tree, base: 'v6.1', patches: [{ name: '0001-fix.patch', content: smallPatch(`fix ${tree}`) }] })),
  }, { path: join(await tempDir(t), 'fleet.sealed') });
  const prefix = await readContainerFile(sealed.path);
  await writeFile(payloadPath(lab.dataDir, sealed.bundleId), (await readFile(sealed.path)).subarray(sealed.payloadOffset));
  lab.admin((store) => {
    store.bundles.create({ id: sealed.bundleId, embargo: FLEET_EMBARGO, submitter: store.parties.byName('alice')!, header: prefix.signedHeaderBytes, trees: fleet.trees, workloads: [], payloadBytes: sealed.payloadCiphertextBytes, stanzas: fleet.agents.map((agent, i) => ({ recipient: agent.name, stanza: prefix.stanzas[i]! })) }, Date.now());
    store.bundles.recordReceived(sealed.bundleId, sealed.payloadCiphertextBytes);
    store.bundles.accept(sealed.bundleId, Date.now());
  });
  return sealed.bundleId;
}
