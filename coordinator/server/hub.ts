// What every session of a running coordinator shares: the store, who is connected, and the two
// ways out of a session — offers to agents and notifications to maintainers.
import type { WebhookPolicy } from './webhook-target.js';
import type { darkroom } from '../../proto/darkroom.js';
import type { Identity } from '../../shared/identity.js';
import type { Logger } from '../../shared/log.js';
import type { Store } from '../store/store.js';
import type { Party } from '../store/parties.js';
import type { CoordinatorMetrics } from '../metrics/metrics.js';
import type { GroupCommit } from './group-commit.js';
import type { Registry } from './registry.js';
import type { VerifyPool } from './verify-pool.js';

export interface SessionTimings {
  /** How often agents send heartbeats (Welcome.heartbeat_interval_ms). */
  heartbeatIntervalMs: number;
  /** How long a job's lease lasts without a heartbeat (Welcome.lease_ms). */
  leaseMs: number;
}

export type NotificationInit = darkroom.v1.Notification.$Properties & { kind: darkroom.v1.NotificationKind; embargo: string; bundleId: string };

export interface Hub {
  readonly store: Store;
  readonly registry: Registry;
  readonly identity: Identity;
  readonly logger: Logger;
  readonly timings: SessionTimings;
  /** Store writes of messages: many per transaction, each caller answered after the commit. */
  readonly commits: GroupCommit;
  /** Checks result signatures on worker threads, off the event loop. */
  readonly verifier: VerifyPool;
  readonly metrics: CoordinatorMetrics;
  /** Whether the party is still enrolled, read once per party per turn of the event loop. */
  isActive(partyId: number): boolean;
  /** Offers every job waiting for this agent (and resends unanswered offers) on its open connections. */
  offerTo(agentName: string): void;
  /** Offers to every connected agent that has waiting jobs (after a bundle is rewrapped, or another process changed the store). */
  offerToAll(): void;
  /**
   * Runs `work` in the next group commit and, in the same transaction, offers to the connected
   * agents `agentsOf` takes from its value (one fsync for a bundle's acceptance and its offers,
   * planned for the agents of the jobs it created, as it read them); resolves with `work`'s value
   * once committed and the offers are pushed.
   */
  offerAfter<T>(work: () => T, agentsOf: (value: T) => readonly Party[]): Promise<T>;
  /** A result of this bundle was accepted: watchers hear once when every job of the bundle has ended. */
  bundleChanged(bundleId: string, jobId: string): void;
  /** Pushes a metadata-only notification to subscribed maintainers at once (and their webhooks). */
  notify(notification: NotificationInit): void;
  /** True when the operator configured an SMTP relay (`subscribe --email` is refused otherwise). */
  readonly mailEnabled: boolean;
  /** Registers a live subscription of one maintainer connection; removed when the channel closes. */
  subscribe(subscription: LiveSubscription): void;
  /** What the operator allows as webhook targets. */
  webhooks: WebhookPolicy;
}

export interface LiveSubscription {
  partyName: string;
  channel: import('../../transport/channel.js').Channel;
  /** Embargo names, or null for every embargo the maintainer belongs to. */
  embargoes: Set<string> | null;
  bundleIds: Set<string>;
  trees: Set<string>;
}
