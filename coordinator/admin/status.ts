// `coordinator status`: agents, embargoes and jobs as one stable, JSON-ready report.
import { barFromJson, describeBar, type QualityBar } from '../bar/format.js';
import type { JobState } from '../jobs/lifecycle.js';
import { embargoState, type EmbargoState } from '../store/embargoes.js';
import { formatMembers } from '../store/members.js';
import type { Store } from '../store/store.js';

export interface AgentView {
  name: string;
  fingerprint: string;
  connected: boolean;
  connectedSince: string | null;
  lastSeen: string | null;
  revoked: boolean;
  groups: string[];
  hardwareClass: string | null;
  trees: string[];
  workloads: string[];
  concurrency: number | null;
}

export interface MaintainerView {
  name: string;
  fingerprint: string;
  connected: boolean;
  revoked: boolean;
  groups: string[];
}

export interface EmbargoView {
  name: string;
  state: EmbargoState;
  until: string;
  testers: string;
  maintainers: string;
  eligibleTesters: string[];
  bundles: number;
  /** The quality bar (docs/quality-bar.md), null when the embargo has none. */
  bar: QualityBar | null;
  /** The bar in one line, `-` when none. */
  barSummary: string;
}

export interface StatusReport {
  generatedAt: string;
  agents: AgentView[];
  maintainers: MaintainerView[];
  embargoes: EmbargoView[];
  jobs: Record<JobState, number>;
  audit: { rows: number; head: string | null };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Everything but the audit chain's validity (that is `audit verify`). */
export function coordinatorStatus(store: Store, now: number): StatusReport {
  const agents = store.parties.list('agent').map((party): AgentView => ({
    name: party.name,
    fingerprint: party.fingerprint,
    connected: party.connectedSince !== null,
    connectedSince: iso(party.connectedSince),
    lastSeen: iso(party.lastSeenAt),
    revoked: party.revokedAt !== null,
    groups: party.groups,
    hardwareClass: party.declaration?.hardwareClass ?? null,
    trees: party.declaration?.trees ?? [],
    workloads: party.declaration?.workloads.map((workload) => workload.name) ?? [],
    concurrency: party.declaration?.concurrency ?? null,
  }));
  const maintainers = store.parties.list('maintainer').map((party): MaintainerView => ({
    name: party.name,
    fingerprint: party.fingerprint,
    connected: party.connectedSince !== null,
    revoked: party.revokedAt !== null,
    groups: party.groups,
  }));
  const head = store.audit.head();
  return {
    generatedAt: new Date(now).toISOString(),
    agents,
    maintainers,
    embargoes: embargoViews(store, now),
    jobs: store.jobs.countsByState(),
    audit: { rows: head?.seq ?? 0, head: head?.hash ?? null },
  };
}

/** The embargoes, newest deadline last, as `embargo list` and `status` show them. */
export function embargoViews(store: Store, now: number): EmbargoView[] {
  return store.embargoes.list().map((embargo) => {
    const bar = embargo.barJson === null ? null : barFromJson(embargo.barJson, embargo.name);
    return {
      name: embargo.name,
      state: embargoState(embargo, now),
      until: new Date(embargo.untilMs).toISOString(),
      testers: formatMembers(embargo.testers),
      maintainers: formatMembers(embargo.maintainers),
      eligibleTesters: store.embargoes.eligibleTesters(embargo).map((party) => party.name),
      bundles: store.bundles.byEmbargo(embargo.id).length,
      bar,
      barSummary: bar ? describeBar(bar) : '-',
    };
  });
}
