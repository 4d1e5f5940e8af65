// A real coordinator on loopback for integration tests, with helpers that act as an administrator
// (through a separate database connection, as the CLI does) and as enrolled clients.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { darkroom } from '../../proto/darkroom.js';
import { initCoordinator } from '../../coordinator/admin/init.js';
import { startCoordinator, type CoordinatorOptions, type RunningCoordinator } from '../../coordinator/server/coordinator.js';
import { Store } from '../../coordinator/store/store.js';
import { generateIdentity, type Identity } from '../../shared/identity.js';
import { silentLogger } from '../../shared/log.js';
import { connect, type Connected } from '../../transport/connect.js';
import { tempDir } from './bundle-fixture.js';

export interface Lab extends LabAddress {
  dataDir: string;
  coordinator: RunningCoordinator;
  /** Runs `fn` against the database from another connection, like an admin command. */
  admin<T>(fn: (store: Store) => T): T;
}

/** What the client helpers need of a lab: its data, its address and pin; in this process or not. */
export interface LabAddress {
  dataDir: string;
  coordinator: Pick<RunningCoordinator, 'url' | 'fingerprint'>;
  admin<T>(fn: (store: Store) => T): T;
  /** The certificate clients trust when the lab serves wss:// with a self-signed one. */
  ca?: Buffer;
}

/** Opens the store of `dataDir` for one admin action, as the CLI does, and closes it. */
export function adminOf(dataDir: string): LabAddress['admin'] {
  return (fn) => {
    const store = Store.open(dataDir);
    try {
      return fn(store);
    } finally {
      store.close();
    }
  };
}

/** Closes the lab's coordinator, as a crash or an operator would; closing twice is harmless. */
export async function stopCoordinator(lab: Lab): Promise<void> {
  await closeOnce(lab.coordinator);
}

/** Starts a new coordinator on the lab's data directory and port, so agents' configs still point at it. */
export async function restartCoordinator(lab: Lab, options: CoordinatorOptions = {}): Promise<RunningCoordinator> {
  await closeOnce(lab.coordinator);
  lab.coordinator = await startCoordinator(lab.dataDir, { logger: silentLogger, ...options, port: lab.coordinator.port });
  return lab.coordinator;
}

const closed = new WeakSet<RunningCoordinator>();

async function closeOnce(coordinator: RunningCoordinator): Promise<void> {
  if (closed.has(coordinator)) return;
  closed.add(coordinator);
  await coordinator.close();
}

export async function startLab(t: TestContext, options: CoordinatorOptions = {}): Promise<Lab> {
  const dataDir = join(await tempDir(t, 'dr-lab-'), 'coordinator');
  await initCoordinator(dataDir);
  const coordinator = await startCoordinator(dataDir, { port: 0, logger: silentLogger, ...options });
  const lab: Lab = { dataDir, coordinator, admin: adminOf(dataDir), ...(options.tls ? { ca: options.tls.cert } : {}) };
  t.after(() => closeOnce(lab.coordinator));
  return lab;
}

export function issueToken(lab: LabAddress, role: 'agent' | 'maintainer', name: string, groups: string[] = []): string {
  return lab.admin((store) => store.write(() => store.tokens.issue({ role, name, groups, contact: `${name} <${name}@example.org>`, ttlMs: 3_600_000 }, Date.now())).token);
}

export const ROLE = { agent: darkroom.v1.Role.ROLE_AGENT, maintainer: darkroom.v1.Role.ROLE_MAINTAINER } as const;

export function declaration(trees: string[], options: { hardwareClass?: string; concurrency?: number; workloads?: string[] } = {}): darkroom.v1.AgentDeclaration.$Properties {
  return {
    profile: { arch: 'x86_64', cpuVendor: 'AMD', cpuBrand: 'EPYC 7763', cpuCores: 2, memoryBytes: 2 ** 33 },
    hardwareClass: options.hardwareClass ?? 'x86_64/AMD/EPYC-7763',
    trees: trees.map((name) => ({ name })),
    workloads: (options.workloads ?? ['smoke']).map((name) => ({ name, format: 'tap' })),
    concurrency: options.concurrency ?? 1,
    software: 'test',
  };
}

export async function connectAs(lab: LabAddress, identity: Identity, role: keyof typeof ROLE, purpose = darkroom.v1.Purpose.PURPOSE_CONNECT): Promise<Connected> {
  return connect({ url: lab.coordinator.url, identity, role: ROLE[role], purpose, fingerprint: lab.coordinator.fingerprint, logger: silentLogger, ...(lab.ca ? { ca: lab.ca } : {}) });
}

/** Enrols a fresh identity over the wire; returns it with the EnrollResult. */
export async function enrol(lab: LabAddress, role: keyof typeof ROLE, token: string, decl?: darkroom.v1.AgentDeclaration.$Properties): Promise<{ identity: Identity; result: darkroom.v1.EnrollResult }> {
  const identity = generateIdentity();
  const { channel } = await connectAs(lab, identity, role, darkroom.v1.Purpose.PURPOSE_ENROLL);
  try {
    const reply = await channel.request({ enrollRequest: { token, contact: '', declaration: decl ?? null } });
    return { identity, result: reply.enrollResult as darkroom.v1.EnrollResult };
  } finally {
    channel.close();
  }
}
