// Shared fixtures for the coordinator store tests: a store in a temp dir, enrolled parties, bundles.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { generateIdentity } from '../../../shared/identity.js';
import type { Party } from '../../../coordinator/store/parties.js';
import { Store, type StoreOptions } from '../../../coordinator/store/store.js';

export const T0 = Date.parse('2030-01-01T00:00:00Z');
export const DAY = 86_400_000;

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function tempStore(t: TestContext, options: StoreOptions = {}): Promise<Store> {
  const store = Store.open(await tempDir(t), { create: true, ...options });
  t.after(() => store.close());
  return store;
}

export interface AgentSpec {
  groups?: string[];
  trees?: string[];
  concurrency?: number;
}

export function enrolAgent(store: Store, name: string, spec: AgentSpec = {}): Party {
  const { token } = store.write(() => store.tokens.issue({ role: 'agent', name, groups: spec.groups ?? [] }, T0));
  const keys = generateIdentity();
  return store.enrol({
    token,
    role: 'agent',
    keys,
    declaration: { profile: { arch: 'x86_64' }, hardwareClass: 'x86_64-amd-zen4', trees: spec.trees ?? ['linux-6.1.y'], workloads: [{ name: 'ltp', format: 'ltp' }], concurrency: spec.concurrency ?? 2 },
  }, T0);
}

export function enrolMaintainer(store: Store, name: string, groups: string[] = []): Party {
  const { token } = store.write(() => store.tokens.issue({ role: 'maintainer', name, groups }, T0));
  return store.enrol({ token, role: 'maintainer', keys: generateIdentity() }, T0);
}

let bundleCounter = 0;

/** Submits and accepts a bundle sealed to the given agents for the given trees. */
export function acceptBundle(store: Store, spec: { embargo: string; submitter: Party; agents: Party[]; trees?: string[] }): string {
  const id = (++bundleCounter).toString(16).padStart(32, '0');
  store.bundles.create({
    id,
    embargo: spec.embargo,
    submitter: spec.submitter,
    header: new Uint8Array([1, 2, 3]),
    trees: spec.trees ?? ['linux-6.1.y'],
    workloads: [],
    payloadBytes: 10,
    stanzas: spec.agents.map((agent) => ({ recipient: agent.name, stanza: new Uint8Array([agent.id]) })),
  }, T0);
  store.bundles.accept(id, T0);
  return id;
}

/** An embargo over the given testers list, maintained by `m`, open for a year from T0. */
export function openEmbargo(store: Store, name: string, testers: string, maintainers = 'm'): void {
  store.write(() => store.embargoes.create({ name, testers, maintainers, until: new Date(T0 + 365 * DAY).toISOString() }, { actor: 'admin', now: T0 }));
}
