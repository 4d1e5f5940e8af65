// Dispatch over the wire: turns the store's offers into JobOffer pushes on an agent's open
// connections, and delivers the cancels the store has queued for it. The offers are recorded in
// a (group) transaction first and pushed only after it commits, so every offer sent is on disk.
import { darkroom } from '../../proto/darkroom.js';
import { messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { JobOfferEncoder } from '../../shared/wire/job-offer-bytes.js';
import { barFromJson } from '../bar/format.js';
import type { CoordinatorMetrics } from '../metrics/metrics.js';
import type { Offer } from '../store/dispatch.js';
import type { CancelNotice } from '../store/jobs.js';
import type { Party } from '../store/parties.js';
import type { Store } from '../store/store.js';
import { inWrite } from '../store/database.js';
import type { GroupCommit } from './group-commit.js';
import type { Registry } from './registry.js';

/** What offers of one embargo share: its trusted signers, and whether its bar wants base runs. */
interface EmbargoTerms {
  signers: darkroom.v1.Recipient.$Properties[];
  runBase: boolean;
}

/** Embargo terms by embargo name, read once per plan rather than once per offer. */
export type TermsMemo = Map<string, EmbargoTerms>;

function termsOf(store: Store, embargoName: string, memo: TermsMemo): EmbargoTerms {
  let terms = memo.get(embargoName);
  if (!terms) {
    const embargo = store.embargoes.byName(embargoName);
    const maintainers = embargo ? store.embargoes.maintainersOf(embargo).filter((m) => m.revokedAt === null) : [];
    terms = {
      signers: maintainers.map((m) => ({ name: m.name, role: darkroom.v1.Role.ROLE_MAINTAINER, signKey: m.signKey, boxKey: m.boxKey, fingerprint: m.fingerprint })),
      runBase: embargo?.barJson ? barFromJson(embargo.barJson, embargo.name).noNewFailures : false,
    };
    memo.set(embargoName, terms);
  }
  return terms;
}

/** The JobOffer of a stored offer, with the embargo's current maintainers as trusted signers
 * and whether the embargo's bar asks for base runs. */
export function jobOfferOf(store: Store, offer: Offer, memo: TermsMemo = new Map()): darkroom.v1.JobOffer.$Properties {
  const { signers, runBase } = termsOf(store, offer.embargo, memo);
  return {
    jobId: offer.jobId,
    bundleId: offer.bundleId,
    embargo: offer.embargo,
    tree: offer.tree,
    attempt: offer.attempt,
    header: offer.header,
    stanza: offer.stanza,
    payloadBytes: offer.payloadBytes,
    deadlineMs: offer.deadlineMs,
    workloads: offer.workloads,
    maintainers: signers,
    runBase,
  };
}

/** What one agent is to be sent: its queued cancels, then its unanswered and new offers. */
export interface OfferPlan {
  agentName: string;
  cancels: CancelNotice[];
  offers: darkroom.v1.JobOffer.$Properties[];
}

/** The named agents as stored now (one query), in the order named and once each: unknown names and parties that are no agent are left out. */
export function agentsNamed(store: Store, names: readonly string[]): Party[] {
  const found = new Map(store.parties.byNames(names).filter((party) => party.role === 'agent').map((party) => [party.name, party]));
  return [...new Set(names)].map((name) => found.get(name)).filter((party): party is Party => party !== undefined);
}

/**
 * Inside a write transaction: records the agents' new offers (one audit row per bundle) and reads
 * what else each is owed, set-wise: their unanswered offers, their new offers and their queued
 * cancels are each one query, whatever the number of agents. `agents` as read in this transaction.
 */
export function planOffers(store: Store, { agents, now }: { agents: readonly Party[]; now: number }): OfferPlan[] {
  const memo: TermsMemo = new Map();
  const unanswered = store.dispatch.pendingOffersMany(agents, now);
  const fresh = store.dispatch.offerNextMany(agents, now);
  const cancels = groupBy(store.jobs.pendingCancelsOf(agents.map((agent) => agent.id)), (notice) => notice.agentId);
  return agents.map((agent) => ({
    agentName: agent.name,
    cancels: cancels.get(agent.id) ?? [],
    offers: [...(unanswered.get(agent.id) ?? []), ...(fresh.get(agent.id) ?? [])].map((offer) => jobOfferOf(store, offer, memo)),
  }));
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

export interface OfferContext {
  store: Store;
  registry: Registry;
  commits: GroupCommit;
  logger: Logger;
  metrics: CoordinatorMetrics;
}

/**
 * Offers to agents from the next group commit: what each is owed is planned there, once per agent
 * however often it was asked for before that commit, and pushed after it.
 */
export class OfferScheduler {
  readonly #context: OfferContext;
  /** Agents whose plan is queued and has not run yet: asking again changes nothing. */
  readonly #queued = new Set<string>();

  constructor(context: OfferContext) {
    this.#context = context;
  }

  offerTo(agentNames: Iterable<string>): void {
    const { registry, logger } = this.#context;
    const names = [...agentNames].filter((name) => registry.isConnected(name) && !this.#queued.has(name));
    if (names.length === 0) return;
    for (const name of names) this.#queued.add(name);
    const planning = () => {
      for (const name of names) this.#queued.delete(name);
      return agentsNamed(this.#context.store, names);
    };
    this.#plan(() => undefined, planning).catch((error: unknown) => {
      for (const name of names) this.#queued.delete(name);
      logger.error({ agents: names.length, err: messageOf(error) }, 'offering jobs failed; will try again on the next change');
    });
  }

  /**
   * Runs `work` in the next group commit and, in the same transaction right after it, plans
   * offers to the agents `agentsOf` takes from its value (the connected ones, as `work` read
   * them): what `work` creates is offered with the one fsync that makes both durable, and only
   * the agents it concerns are planned for, however many are connected. Resolves with `work`'s
   * value after the offers were pushed; a plan that fails leaves `work` done (its offers follow
   * on the next change).
   */
  afterWrite<T>(work: () => T, agentsOf: (value: T) => readonly Party[]): Promise<T> {
    return this.#plan(work, agentsOf);
  }

  async #plan<T>(work: () => T, agentsOf: (value: T) => readonly Party[]): Promise<T> {
    const { registry, commits, logger, metrics } = this.#context;
    const startedAt = performance.now();
    const planned = await commits.run(() => {
      const value = work();
      const agents = agentsOf(value).filter((agent) => registry.isConnected(agent.name));
      return { value, plans: this.#planned(agents) };
    });
    let offers = 0;
    const encoder = new JobOfferEncoder();
    for (const plan of planned.plans) offers += this.#deliver(plan, encoder);
    if (offers > 0) {
      metrics.observeFanOut((performance.now() - startedAt) / 1000);
      logger.info({ agents: planned.plans.length, offers }, 'jobs offered');
    }
    return planned.value;
  }

  /** The agents' plans, in a savepoint of their own: a plan that fails undoes only itself. */
  #planned(agents: readonly Party[]): OfferPlan[] {
    const { store, logger } = this.#context;
    if (agents.length === 0) return [];
    try {
      return inWrite(store.db, () => planOffers(store, { agents, now: Date.now() }));
    } catch (error) {
      logger.error({ agents: agents.length, err: messageOf(error) }, 'offering jobs failed; will try again on the next change');
      return [];
    }
  }

  /**
   * Cancels to every open connection of the agent, offers to one (its newest). The store keeps
   * offers until answered, so a lost push is resent on the next connect; a cancel is marked
   * delivered only after it was sent.
   */
  #deliver(plan: OfferPlan, encoder: JobOfferEncoder): number {
    const { store, registry, commits, logger } = this.#context;
    const connections = registry.connections(plan.agentName).filter((c) => !c.channel.closed);
    const target = connections.at(-1);
    if (!target) return 0;
    for (const notice of plan.cancels) {
      for (const connection of connections) connection.channel.send({ cancel: { jobId: notice.jobId, attempt: notice.attempt, reason: notice.reason } });
      logger.info({ agent: plan.agentName, jobId: notice.jobId, reason: notice.reason }, 'cancel sent');
    }
    if (plan.cancels.length > 0) {
      const now = Date.now();
      commits.run(() => {
        for (const notice of plan.cancels) store.jobs.cancelDelivered(notice.jobId, now);
      }).catch((error: unknown) => logger.error({ agent: plan.agentName, err: messageOf(error) }, 'recording delivered cancels failed; they will be sent again'));
    }
    for (const offer of plan.offers) {
      target.channel.sendEncoded(encoder.envelope(offer));
      logger.debug({ agent: plan.agentName, jobId: offer.jobId, bundle: offer.bundleId, tree: offer.tree, attempt: offer.attempt }, 'job offered');
    }
    return plan.offers.length;
  }
}
