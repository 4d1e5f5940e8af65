// A running coordinator: the listener, the sessions by role and purpose, the timers that sweep
// leases and deadlines, and the watcher that applies admin changes made by other processes.
import { darkroom } from '../../proto/darkroom.js';
import { nacl } from '../../shared/crypto/index.js';
import { fingerprint, readIdentity } from '../../shared/identity.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { messageOf } from '../../shared/errors.js';
import { WireError } from '../../shared/wire/errors.js';
import type { Peer } from '../../shared/wire/handshake.js';
import { MAX_FRAME_BYTES } from '../../shared/wire/frame.js';
import type { Channel } from '../../transport/channel.js';
import { DEFAULT_JOB_POLICY, type JobPolicy } from '../jobs/lifecycle.js';
import type { RetryPolicy } from '../mail/backoff.js';
import { createRelayTransport, type RelaySettings } from '../mail/relay.js';
import { MailSender } from '../mail/sender.js';
import type { Embargo } from '../store/embargoes.js';
import { ChangeWatcher } from '../store/control.js';
import type { Party } from '../store/parties.js';
import { Store } from '../store/store.js';
import { notifyJob, runAgentSession } from './agent-session.js';
import { judgeBundle, judgeChangedBars, judgeDeadlines } from './bar-judge.js';
import { BundleCompletion } from './bundle-completion.js';
import { roleOf, runEnrollSession } from './enroll-session.js';
import { GroupCommit } from './group-commit.js';
import type { Hub, SessionTimings } from './hub.js';
import { DEFAULT_LISTENER_LIMITS, listen, type ListenerLimits } from './listener.js';
import { runMaintainerSession } from './maintainer-session.js';
import { Notifier } from './notifier.js';
import { TurnMemo } from './turn-memo.js';
import { CoordinatorMetrics } from '../metrics/metrics.js';
import { serveMetrics } from '../metrics/http.js';
import { OfferScheduler } from './offers.js';
import { Registry } from './registry.js';
import { VerifyPool } from './verify-pool.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7420;
/** How often leases, queue time-outs and embargo deadlines are checked. */
export const SWEEP_INTERVAL_MS = 1_000;
/** How often the database is polled for changes made by admin commands. */
export const CHANGE_POLL_MS = 200;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;

export interface CoordinatorOptions {
  host?: string;
  port?: number;
  tls?: { cert: Buffer; key: Buffer };
  logger?: Logger;
  limits?: Partial<ListenerLimits>;
  policy?: Partial<JobPolicy>;
  heartbeatIntervalMs?: number;
  /** The operator allows webhooks on http:// and on loopback, link-local and private addresses. */
  allowPrivateWebhooks?: boolean;
  /** The operator's SMTP relay for notification mail; without it no mail is sent. */
  mail?: { relay: RelaySettings; policy?: RetryPolicy };
  /** Serve Prometheus metrics on this address (GET /metrics); none when absent. */
  metrics?: { host: string; port: number };
  /** Worker threads verifying result signatures (default: one per core). */
  verifyThreads?: number;
}

export interface RunningCoordinator {
  url: string;
  port: number;
  fingerprint: string;
  hub: Hub;
  /** The metrics endpoint's URL, when `metrics` was given. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

export async function startCoordinator(dataDir: string, options: CoordinatorOptions = {}): Promise<RunningCoordinator> {
  const logger = options.logger ?? silentLogger;
  const identity = await readIdentity(dataDir);
  const policy = { ...DEFAULT_JOB_POLICY, ...options.policy };
  const store = Store.open(dataDir, { policy });
  store.write(() => store.parties.clearConnected());
  const registry = new Registry();
  const webhooks = { allowPrivate: options.allowPrivateWebhooks === true };
  const metrics = new CoordinatorMetrics({ store, agentsConnected: () => new Set(registry.all('agent').map((connected) => connected.name)).size });
  metrics.setMailCounts({ sentTotal: () => store.mailQueue.counts().sent, queued: () => store.mailQueue.counts().queued });
  const commits = new GroupCommit(store);
  const mailer = options.mail
    ? new MailSender({ store, transport: createRelayTransport(options.mail.relay), from: options.mail.relay.from, logger: logger.child({ component: 'mail' }), commit: (work) => commits.run(work), ...(options.mail.policy ? { policy: options.mail.policy } : {}) })
    : null;
  const notifier = new Notifier(store, { logger, metrics, mailQueued: () => mailer?.wake(), webhooks });
  const verifier = new VerifyPool(options.verifyThreads);
  await verifier.ready().catch(async (error: unknown) => {
    await verifier.close();
    store.close();
    throw error;
  });
  const offers = new OfferScheduler({ store, registry, commits, logger, metrics });
  const timings: SessionTimings = { heartbeatIntervalMs: options.heartbeatIntervalMs ?? Math.min(DEFAULT_HEARTBEAT_INTERVAL_MS, policy.leaseMs / 3), leaseMs: policy.leaseMs };
  const completion = new BundleCompletion({
    openJobs: (bundleId) => store.jobs.openCount(bundleId),
    complete: (_bundleId, jobId) => notifyJob(hub, jobId, { kind: darkroom.v1.NotificationKind.BUNDLE_COMPLETE, jobId: '', agent: '', status: 0 }),
    onError: (error) => logger.error({ err: messageOf(error) }, 'checking whether a bundle is complete failed'),
  });
  const active = new TurnMemo<number, boolean>();
  const hub: Hub = {
    store, registry, identity, logger, timings, commits, verifier, metrics,
    isActive: (partyId) => active.get(partyId, () => store.parties.isActive(partyId)),
    offerTo: (name) => offers.offerTo([name]),
    offerToAll: () => offers.offerTo(connectedAgents(registry)),
    offerAfter: (work, agentsOf) => offers.afterWrite(work, agentsOf),
    bundleChanged: (bundleId, jobId) => completion.changed(bundleId, jobId),
    notify: (notification) => notifier.notify(notification),
    subscribe: (subscription) => notifier.subscribe(subscription),
    webhooks,
    mailEnabled: mailer !== null,
  };
  const announced = new Set(store.embargoes.list().filter(closedByDecision).map((embargo) => embargo.name));
  mailer?.start();
  tellMaintainers(hub);

  const listener = await listen({
    host: options.host ?? DEFAULT_HOST,
    port: options.port ?? DEFAULT_PORT,
    tls: options.tls,
    identity,
    nacl,
    logger,
    limits: { ...DEFAULT_LISTENER_LIMITS, ...options.limits },
    onAuthenticated: (peer, channel) => admit(hub, peer, channel),
  });

  const sweep = setInterval(() => {
    try {
      const now = Date.now();
      const swept = store.dispatch.sweep(now);
      const expired = store.expireDue(now);
      for (const closure of expired) {
        logger.info({ embargo: closure.subject.name, cancelled: closure.cancelled.length }, 'embargo disclosure date passed: disclosed, its jobs are cancelled');
        announced.add(closure.subject.name);
        hub.notify({ kind: darkroom.v1.NotificationKind.EMBARGO_DISCLOSED, embargo: closure.subject.name, bundleId: '', atMs: now });
      }
      const agents = new Set([...swept.map((j) => j.agentName), ...expired.flatMap((c) => c.cancelled.map((j) => j.agentName))]);
      for (const name of agents) hub.offerTo(name);
      for (const bundleId of new Set(swept.map((j) => j.bundleId))) judgeBundle(hub, bundleId, { now });
      judgeDeadlines(hub, now);
    } catch (error) {
      logger.error({ err: messageOf(error) }, 'sweep failed; will try again in a second');
    }
  }, SWEEP_INTERVAL_MS);
  const watcher = new ChangeWatcher(store.db, {
    intervalMs: CHANGE_POLL_MS,
    onChange: () => {
      reconcile(hub, announced);
      mailer?.wake();
    },
    onError: (error) => logger.error({ err: messageOf(error) }, 'applying an admin change failed; will try again on the next change'),
  });
  watcher.start();
  const metricsServer = options.metrics ? await serveMetrics(metrics, { ...options.metrics, logger }) : null;
  if (metricsServer) logger.info({ url: metricsServer.url }, 'metrics served');
  const url = `${options.tls ? 'wss' : 'ws'}://${listener.host.includes(':') ? `[${listener.host}]` : listener.host}:${listener.port}`;
  logger.info({ url, fingerprint: fingerprint(identity) }, 'coordinator listening');

  return {
    url,
    port: listener.port,
    fingerprint: fingerprint(identity),
    hub,
    metricsUrl: metricsServer?.url ?? null,
    close: async () => {
      clearInterval(sweep);
      watcher.stop();
      completion.stop();
      await metricsServer?.close();
      await listener.close();
      await mailer?.stop();
      await verifier.close();
      commits.flush();
      store.write(() => store.parties.clearConnected());
      store.close();
    },
  };
}

function connectedAgents(registry: Registry): Set<string> {
  return new Set(registry.all('agent').map((connected) => connected.name));
}

/** Withdrawn or disclosed: closed by someone's decision, which members are told of. */
function closedByDecision(embargo: Embargo): boolean {
  return embargo.withdrawnAt !== null || embargo.disclosedAt !== null;
}

/** Maintainers who joined an embargo since they were last told: their mail queued, live connections told. */
function tellMaintainers(hub: Hub): void {
  const now = Date.now();
  for (const told of hub.store.tellNewMaintainers(now)) {
    hub.logger.info(told, 'maintainer added to an embargo; telling them');
    hub.notify({ kind: darkroom.v1.NotificationKind.MAINTAINER_ADDED, embargo: told.embargo, maintainer: told.maintainer, bundleId: '', atMs: now });
  }
}

/** Embargoes an admin command withdrew or disclosed since the last look: their members are told (mail was queued by the command). */
function announceClosures(hub: Hub, announced: Set<string>): void {
  for (const embargo of hub.store.embargoes.list().filter((candidate) => closedByDecision(candidate) && !announced.has(candidate.name))) {
    announced.add(embargo.name);
    const kind = embargo.withdrawnAt !== null ? darkroom.v1.NotificationKind.EMBARGO_WITHDRAWN : darkroom.v1.NotificationKind.EMBARGO_DISCLOSED;
    hub.notify({ kind, embargo: embargo.name, bundleId: '', atMs: embargo.withdrawnAt ?? embargo.disclosedAt ?? Date.now() });
  }
}

/**
 * After an admin change: close revoked parties' connections, deliver cancels, offer new work,
 * re-judge bars, tell maintainers added to an embargo and members of one withdrawn or disclosed.
 */
function reconcile(hub: Hub, announced: Set<string>): void {
  for (const party of hub.store.revokedParties()) {
    for (const connection of hub.registry.connections(party.name)) {
      hub.logger.warn({ party: party.name }, 'closing the connection of a revoked party');
      connection.channel.fail(new WireError('REVOKED', `'${party.name}' was revoked by the coordinator's administrator`));
    }
  }
  hub.offerToAll();
  judgeChangedBars(hub, Date.now());
  tellMaintainers(hub);
  announceClosures(hub, announced);
}

/** Lets an authenticated peer in by its enrolled key and role, or refuses it with the reason. */
function admit(hub: Hub, peer: Peer, channel: Channel): void {
  if (peer.purpose === darkroom.v1.Purpose.PURPOSE_ENROLL) {
    runEnrollSession(hub, peer, channel);
    return;
  }
  const party = hub.store.parties.bySignKey(peer.signKey);
  if (!party || !Buffer.from(party.boxKey).equals(Buffer.from(peer.boxKey))) {
    throw new WireError('UNKNOWN_PARTY', `Key ${peer.fingerprint} is not enrolled with this coordinator: enrol with a token first`);
  }
  if (party.revokedAt !== null) throw new WireError('REVOKED', `'${party.name}' was revoked: ask the coordinator's administrator`);
  const role = roleOf(peer.role);
  if (role !== party.role) throw new WireError('NOT_AUTHORIZED', `'${party.name}' is enrolled as ${party.role}, not ${role ?? 'an unknown role'}`);
  welcome(hub, party, channel);
  if (party.role === 'agent') runAgentSession(hub, party, channel);
  else runMaintainerSession(hub, party, channel);
}

function welcome(hub: Hub, party: Party, channel: Channel): void {
  const now = Date.now();
  const remove = hub.registry.add({ name: party.name, role: party.role, channel, connectedAt: now });
  const recordFailed = (error: unknown) => hub.logger.warn({ party: party.name, err: messageOf(error) }, 'recording the connection state failed');
  hub.commits.run(() => hub.store.parties.connected(party.id, now)).catch(recordFailed);
  hub.logger.info({ party: party.name, role: party.role }, 'party connected');
  channel.onClose((close) => {
    remove();
    if (!hub.registry.isConnected(party.name) && hub.store.db.open) hub.commits.run(() => hub.store.parties.disconnected(party.id, Date.now())).catch(recordFailed);
    hub.logger.info({ party: party.name, code: close.code }, 'party disconnected');
  });
  channel.send({
    welcome: {
      name: party.name,
      role: party.role === 'agent' ? darkroom.v1.Role.ROLE_AGENT : darkroom.v1.Role.ROLE_MAINTAINER,
      groups: party.groups,
      serverTimeMs: now,
      heartbeatIntervalMs: hub.timings.heartbeatIntervalMs,
      leaseMs: hub.timings.leaseMs,
      maxFrameBytes: MAX_FRAME_BYTES,
    },
  });
}
