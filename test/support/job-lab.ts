// A lab for job-runner tests: a real C project, a real sealed bundle of a git format-patch series,
// an agent's state and workspace, and a small stand-in for the coordinator's side of the channel.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { readContainerFile, sealBundle } from '../../shared/bundle/index.js';
import { fingerprint, generateIdentity, type Identity } from '../../shared/identity.js';
import { silentLogger } from '../../shared/log.js';
import type { Envelope, EnvelopeInit } from '../../shared/wire/frame.js';
import type { Channel } from '../../transport/channel.js';
import { ChannelLink } from '../../agent/channel-link.js';
import type { AgentConfig, TreeSettings } from '../../agent/config/index.js';
import { JobProcesses } from '../../agent/job-processes.js';
import { JobRunner } from '../../agent/job-runner.js';
import { JobStates } from '../../agent/job-state.js';
import { Outbox } from '../../agent/outbox.js';
import { Workspaces } from '../../agent/workspace.js';
import { makeCProject, makeSeries, type Edit } from './c-project.js';
import { BUILD, TAP_WORKLOAD } from './pipeline-lab.js';

export const EMBARGO = 'CVE-2026-0001';
export const TREE = 'hello';
export const AGENT_NAME = 'lab-1';
export const TESTER_CONTACT = 'Lab One <lab-1@example.org>';

export const GOOD_SERIES: Edit[] = [
  { file: 'hello.c', from: 'int add(int a, int b) { return a + b; }', to: 'int add(int a, int b) { return a + b; }\n\nint twice(int a) { return add(a, a); }', subject: 'hello: add twice()' },
  { file: 'hello.c', from: '\treturn 0;', to: '\tprintf("twice %d\\n", twice(4));\n\treturn 0;', subject: 'hello: print twice(4)' },
];

/** The coordinator's side of a channel: serves bundle bytes, records what the agent sends. */
export class FakeCoordinator {
  readonly sent: EnvelopeInit[] = [];
  readonly bundleRequests: number[] = [];
  /** For each ResultSubmit: was the result already in the outbox when it was sent? */
  readonly durableWhenSent: boolean[] = [];
  closed = false;
  readonly #payloads = new Map<string, Buffer>();
  readonly #outboxDir: string;

  constructor(outboxDir: string) {
    this.#outboxDir = outboxDir;
  }

  serve(bundleId: string, ciphertext: Buffer): void {
    this.#payloads.set(bundleId, ciphertext);
  }

  send(envelope: EnvelopeInit): boolean {
    this.sent.push(envelope);
    if (envelope.resultSubmit) {
      const result = darkroom.v1.Result.decode(envelope.resultSubmit.signed!.result!);
      this.durableWhenSent.push(existsSync(join(this.#outboxDir, `${result.jobId}.${result.attempt}.result`)));
    }
    return true;
  }

  async request(envelope: EnvelopeInit): Promise<Envelope> {
    const ask = envelope.bundleRequest!;
    const offset = Number(ask.offset);
    this.bundleRequests.push(offset);
    const payload = this.#payloads.get(ask.bundleId!)!;
    const data = payload.subarray(offset, offset + Number(ask.maxBytes));
    return darkroom.v1.Envelope.create({ bundleChunk: { bundleId: ask.bundleId!, offset, data, last: offset + data.length === payload.length } });
  }

  asChannel(): Channel {
    return this as unknown as Channel;
  }

  progress(): string[] {
    return this.sent.filter((e) => e.progress).map((e) => `${e.progress!.stage} ${e.progress!.event === darkroom.v1.StageEvent.STAGE_STARTED ? 'started' : 'finished'}`);
  }
}

export interface JobLab {
  dir: string;
  repo: string;
  base: string;
  maintainer: Identity;
  stranger: Identity;
  agent: Identity;
  config: AgentConfig;
  workspaces: Workspaces;
  outbox: Outbox;
  coordinator: FakeCoordinator;
  /** A runner on the lab's agent; `outbox` in place of the lab's own. */
  runner: (concurrency?: number, outbox?: Outbox) => JobRunner;
  /**
   * Seals `edits` as a series signed by `signer` (default the maintainer the agent trusts) and
   * returns the offer the coordinator would send, listing `listed` as the embargo's maintainers
   * (default the signer).
   */
  offer: (jobId: string, options?: { edits?: readonly Edit[]; signer?: Identity; listed?: readonly Identity[] }) => Promise<darkroom.v1.JobOffer>;
}

export async function jobLab(t: { after: (fn: () => Promise<void>) => void }, tree: Partial<TreeSettings> = {}): Promise<JobLab> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-job-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const repo = join(dir, 'tester-tree');
  const base = await makeCProject(repo);
  const [maintainer, stranger, agent] = [generateIdentity(), generateIdentity(), generateIdentity()];
  const stateDir = join(dir, 'state');
  const config: AgentConfig = {
    file: join(dir, 'agent.yaml'), coordinator: { url: 'ws://127.0.0.1:1', fingerprint: 'DR1:AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA' }, trustedMaintainers: [fingerprint(maintainer)], stateDir,
    hardwareClass: 'auto', workspace: { root: join(stateDir, 'workspace'), memoryBacked: false }, concurrency: 1, sandbox: 'bubblewrap',
    trees: [{ name: TREE, path: repo, configDir: repo, build: BUILD, reuseBuildDir: false, boot: { method: 'none' }, workloads: [TAP_WORKLOAD], ...tree }],
  };
  const workspaces = new Workspaces(config.workspace.root);
  const outbox = await Outbox.open(join(stateDir, 'outbox'));
  const coordinator = new FakeCoordinator(outbox.dir);
  let made = 0;
  return {
    dir, repo, base, maintainer, stranger, agent, config, workspaces, outbox, coordinator,
    runner: (concurrency = 1, ownOutbox = outbox) => new JobRunner({
      config, identity: agent, agentName: AGENT_NAME, testerContact: TESTER_CONTACT, profile: { arch: 'x86_64', cpuBrand: 'Test CPU', cpuCores: 2 }, hardwareClass: 'x86_64/Test/CPU',
      workspaces, outbox: ownOutbox, states: new JobStates(stateDir), processes: new JobProcesses(stateDir), link: new ChannelLink(), logger: silentLogger, concurrency,
    }),
    offer: async (jobId, options = {}) => {
      const patches = await makeSeries(repo, base, options.edits ?? GOOD_SERIES, join(dir, `series-${++made}`));
      const path = join(dir, `bundle-${made}.sealed`);
      const signer = options.signer ?? maintainer;
      const sealed = await sealBundle({
        embargo: EMBARGO, signer: { name: 'Alice Maintainer', identity: signer },
        targets: [{ tree: TREE, base, patches: patches.map((p) => ({ name: p.split('/').pop()!, path: p })) }],
        logRecipients: [{ name: 'Alice Maintainer', boxKey: maintainer.boxKey }], recipients: [agent.boxKey],
      }, { path });
      const prefix = await readContainerFile(path);
      const ciphertext = (await readFile(path)).subarray(prefix.payloadOffset);
      coordinator.serve(sealed.bundleId, ciphertext);
      return darkroom.v1.JobOffer.create({
        jobId, bundleId: sealed.bundleId, embargo: EMBARGO, tree: TREE, attempt: 1, header: prefix.signedHeaderBytes, stanza: prefix.stanzas[0]!,
        payloadBytes: ciphertext.length,
        maintainers: (options.listed ?? [signer]).map((m) => ({ name: 'Alice Maintainer', role: darkroom.v1.Role.ROLE_MAINTAINER, signKey: m.signKey, boxKey: m.boxKey })),
      });
    },
  };
}

/** Every file below `dir`, as paths relative to it (an absent directory has none). */
export async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}
