// A hostile coordinator for the approval tests (docs/trust.md), test code only: a real
// `coordinator serve` process whose operator uses the documented CLI (tokens, embargoes) and edits
// the coordinator's own database to lie (swap keys, replay lists, swap stanzas). Honest parties
// are real CLI processes with their own homes; nothing here reaches into a maintainer's home.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { assertAuditIntact } from '../../coordinator/admin/audit.js';
import { createDemoRepository, DEMO_SERIES_DIR, readSeriesBase } from '../../maintainer/demo/project.js';
import { fingerprint, readIdentity, type Identity } from '../../shared/identity.js';
import { killHard, runCli, startAgent, writeAgentConfig, type AgentSetup } from './agent-process.js';
import { tempDir } from './bundle-fixture.js';
import { startCoordinatorProcess, type CoordinatorProcess } from './coordinator-process.js';

export const HOSTILE_EMBARGO = 'CVE-HOSTILE';
/**
 * Each test runs a dozen or more CLI processes and up to three jobs; on the shared 2-core machine
 * under the whole suite that took over 3 minutes, so the fault suite's usual limit is too short.
 */
export const HOSTILE_TEST_TIMEOUT_MS = 600_000;
export const TESTERS_GROUP = 'lab';
export const MAINTAINERS_GROUP = 'maint';
const FINGERPRINT = /fingerprint\s+(DR1:[A-Z2-7-]+)/;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a CLI command that must succeed; returns its stdout. */
export async function ok(args: string[]): Promise<string> {
  const run = await runCli(args);
  assert.equal(run.code, 0, `darkroom ${args.join(' ')} exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

export interface LabAgent {
  name: string;
  setup: AgentSetup;
  /** As `agent enroll` printed it: what the tester sends the maintainer outside Darkroom. */
  fingerprint: string;
  start(): Promise<ChildProcess>;
}

export interface Maintainer {
  name: string;
  home: string;
  fingerprint: string;
  submit(): Promise<CliRun & { bundleId: string | null }>;
  run(args: string[]): Promise<CliRun>;
}

export interface HostileLab {
  coordinator: CoordinatorProcess;
  dir: string;
  /** `coordinator token` as the operator runs it. */
  token(role: 'tester' | 'maintainer', name: string, groups: string): Promise<string>;
  /** A tester's agent enrolled with a token the operator minted (not started). */
  agent(name: string, options?: { groups?: string; hardwareClass?: string }): Promise<LabAgent>;
  maintainer(name: string, groups?: string): Promise<Maintainer>;
  /** The embargo naming @lab and mia plus @maint, as the operator creates it. */
  embargo(): Promise<void>;
  /** `coordinator audit verify` exits 0 and the chain checks out row by row. */
  assertAuditIntact(): Promise<void>;
}

export async function startHostileLab(t: TestContext): Promise<HostileLab> {
  const coordinator = await startCoordinatorProcess(t);
  const dir = await tempDir(t, 'dr-hostile-');
  const data = coordinator.dataDir;
  const base = await readSeriesBase(DEMO_SERIES_DIR);
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const child of children) await killHard(child);
  });
  // The lab's testers pin the first maintainer enrolled (mia, the honest one) when they start.
  const pinned: string[] = [];
  const token = async (role: 'tester' | 'maintainer', name: string, groups: string) => (await ok(['coordinator', 'token', '--data', data, '--role', role, '--name', name, '--groups', groups, '--contact', `${name} <${name}@example.org>`])).trim();
  return {
    coordinator, dir, token,
    agent: async (name, options = {}) => {
      const repo = await createDemoRepository(join(dir, name, 'ringbuf'));
      const configOf = () => ({ url: coordinator.coordinator.url, fingerprint: coordinator.coordinator.fingerprint, trust: pinned.slice(0, 1), name, tree: repo.dir, hardwareClass: options.hardwareClass ?? `x86_64/Test/${name}` });
      const setup = await writeAgentConfig(join(dir, name), configOf());
      const enrolled = await ok(['agent', 'enroll', '--config', setup.config, '--token', await token('tester', name, options.groups ?? TESTERS_GROUP)]);
      const printed = FINGERPRINT.exec(enrolled)?.[1];
      assert.ok(printed, `agent enroll printed no fingerprint: ${enrolled}`);
      return {
        name, setup, fingerprint: printed,
        start: async () => {
          await writeAgentConfig(join(dir, name), configOf());
          const child = startAgent(setup, { logLevel: 'info' });
          children.push(child);
          return child;
        },
      };
    },
    maintainer: async (name, groups = '') => {
      const home = join(dir, `home-${name}`);
      await ok(['enroll', '--home', home, '--coordinator', coordinator.coordinator.url, '--fingerprint', coordinator.coordinator.fingerprint, '--token', await token('maintainer', name, groups)]);
      pinned.push(fingerprint(await readIdentity(home)));
      const run = (args: string[]) => runCli([...args, '--home', home]);
      return {
        name, home, run,
        fingerprint: (await ok(['fingerprint', '--home', home])).trim(),
        submit: async () => {
          const submitted = await run(['submit', '--embargo', HOSTILE_EMBARGO, '--tree', `ringbuf=${base}`, '--series', DEMO_SERIES_DIR]);
          return { ...submitted, bundleId: /^([0-9a-f]{32})$/m.exec(submitted.stdout)?.[1] ?? null };
        },
      };
    },
    embargo: async () => {
      const until = new Date(Date.now() + 86_400_000).toISOString();
      await ok(['coordinator', 'embargo', 'create', '--data', data, '--name', HOSTILE_EMBARGO, '--testers', `@${TESTERS_GROUP}`, '--maintainers', `mia,@${MAINTAINERS_GROUP}`, '--until', until]);
    },
    assertAuditIntact: async () => {
      await ok(['coordinator', 'audit', 'verify', '--data', data]);
      const verdict = coordinator.admin((store) => assertAuditIntact(store));
      assert.equal(verdict.problem, null);
    },
  };
}

/** The operator gives an enrolled party's name another key pair, as a lying coordinator would list it. */
export function swapKeys(coordinator: CoordinatorProcess, name: string, identity: Identity): void {
  coordinator.admin((store) => store.db.prepare('UPDATE parties SET sign_key = ?, box_key = ?, fingerprint = ? WHERE name = ?')
    .run(Buffer.from(identity.signKey), Buffer.from(identity.boxKey), fingerprint(identity), name));
}

/** The operator puts an older signed approval list back in a maintainer's place. */
export function replayApprovalList(coordinator: CoordinatorProcess, name: string, signed: Uint8Array): void {
  coordinator.admin((store) => store.db.prepare('UPDATE approval_lists SET signed = ? WHERE party_id = (SELECT id FROM parties WHERE name = ?)').run(Buffer.from(signed), name));
}

/** The signed approval list the coordinator holds for `name` now. */
export function storedApprovalList(coordinator: CoordinatorProcess, name: string): Uint8Array {
  const stored = coordinator.admin((store) => store.approvalLists.of(store.parties.byName(name)!));
  assert.ok(stored, `the coordinator holds no approval list of ${name}`);
  return stored;
}

/** Agents (or maintainers, who can `darkroom fetch` it) the coordinator holds a stanza of `bundleId` for, by name. */
export function stanzaHolders(coordinator: CoordinatorProcess, bundleId: string, role: 'agent' | 'maintainer' = 'agent'): string[] {
  return coordinator.admin((store) => store.db.prepare<[string, string], { name: string }>('SELECT parties.name FROM stanzas JOIN parties ON parties.id = stanzas.party_id WHERE bundle_id = ? AND parties.role = ? ORDER BY parties.name').all(bundleId, role).map((row) => row.name));
}
