// One maintainer connection: recipient lists, uploads, rewrap, status, reports, logs, results,
// embargo listings and subscriptions, each checked against the embargoes this party maintains;
// every refusal logged.
import { darkroom } from '../../proto/darkroom.js';
import { nacl } from '../../shared/crypto/index.js';
import { BundleError } from '../../shared/bundle/index.js';
import { messageOf } from '../../shared/errors.js';
import { signRecipientList } from '../../shared/recipients.js';
import { WireError, type WireErrorCode } from '../../shared/wire/errors.js';
import type { Envelope, EnvelopeInit } from '../../shared/wire/frame.js';
import type { Channel } from '../../transport/channel.js';
import { aggregate, reportToProto } from '../report/index.js';
import type { Bundle } from '../store/bundles.js';
import type { Embargo } from '../store/embargoes.js';
import { StoreError, type StoreErrorCode } from '../store/errors.js';
import { checkName } from '../store/names.js';
import type { Party } from '../store/parties.js';
import { barVerdictJson } from './bar-judge.js';
import type { Hub } from './hub.js';
import { embargoListOf } from './maintainer-embargoes.js';
import { packWithin, recipientOf } from './maintainer-pack.js';
import { activeEmbargoOf, beginUpload, rewrapBundle, uploadChunk, type IntakeContext } from './maintainer-upload.js';
import { bundleComplete, jobOutcome, jobView, latestResults, type JobRecord } from './maintainer-views.js';

/** Requests of one connection waiting to be handled; past this the connection is told to slow down. */
export const MAX_QUEUED_REQUESTS = 64;

const STORE_CODES: Partial<Record<StoreErrorCode, WireErrorCode>> = {
  EMBARGO_UNKNOWN: 'NOT_FOUND',
  BUNDLE_UNKNOWN: 'NOT_FOUND',
  PARTY_UNKNOWN: 'NOT_FOUND',
  JOB_UNKNOWN: 'NOT_FOUND',
  EMBARGO_CLOSED: 'EMBARGO_CLOSED',
  BUNDLE_EXISTS: 'DUPLICATE',
  PARTY_REVOKED: 'REVOKED',
};

/** The wire refusal for an error a handler threw. */
export function refusalOf(error: unknown): WireError {
  if (error instanceof WireError) return error;
  if (error instanceof StoreError) return new WireError(STORE_CODES[error.code] ?? 'BAD_REQUEST', error.message, { cause: error });
  if (error instanceof BundleError) return new WireError('BAD_REQUEST', error.message, { cause: error });
  return new WireError('INTERNAL', `The coordinator failed on this request: ${messageOf(error)}`, { cause: error });
}

export function runMaintainerSession(hub: Hub, party: Party, channel: Channel): void {
  const session = new MaintainerSession(hub, party, channel);
  channel.handle((envelope) => session.receive(envelope));
}

class MaintainerSession {
  readonly #hub: Hub;
  readonly #partyId: number;
  readonly #channel: Channel;
  readonly #logger;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(hub: Hub, party: Party, channel: Channel) {
    this.#hub = hub;
    this.#partyId = party.id;
    this.#channel = channel;
    this.#logger = hub.logger.child({ party: party.name, role: 'maintainer' });
  }

  /** Requests are answered one at a time, in order: chunks of an upload never race. */
  receive(envelope: Envelope): void {
    if (envelope.body === 'error') {
      this.#logger.warn({ code: envelope.error?.code, err: envelope.error?.message }, 'maintainer reported an error');
      return;
    }
    if (this.#queued >= MAX_QUEUED_REQUESTS) {
      this.#refuse(envelope, new WireError('OVERLOADED', `More than ${MAX_QUEUED_REQUESTS} requests are waiting on this connection: wait for answers before sending more`));
      return;
    }
    this.#queued++;
    this.#queue = this.#queue.then(() => this.#answer(envelope)).finally(() => {
      this.#queued--;
    });
  }

  async #answer(envelope: Envelope): Promise<void> {
    try {
      this.#channel.reply(envelope, await this.#handle(envelope));
    } catch (error) {
      this.#refuse(envelope, refusalOf(error));
    }
  }

  #refuse(envelope: Envelope, error: WireError): void {
    const fields = { body: envelope.body, code: error.code, err: error.message };
    if (error.code === 'INTERNAL') this.#logger.error({ ...fields, cause: messageOf(error.cause) }, 'maintainer request failed');
    else this.#logger.warn(fields, 'refused maintainer request');
    this.#channel.reply(envelope, { error: error.toProto(false) });
  }

  /** The party as the store knows it now: a revocation between two requests is seen. */
  #party(): Party {
    const party = this.#hub.store.parties.byId(this.#partyId);
    if (!party || party.revokedAt !== null) throw new WireError('REVOKED', 'This maintainer was revoked: ask the administrator');
    return party;
  }

  #context(): IntakeContext {
    return { hub: this.#hub, party: this.#party() };
  }

  async #handle(envelope: Envelope): Promise<EnvelopeInit> {
    switch (envelope.body) {
      case 'heartbeat':
        return { heartbeatAck: { sentAtMs: envelope.heartbeat!.sentAtMs, serverTimeMs: Date.now() } };
      case 'recipientsRequest':
        return { recipients: this.#recipients(envelope.recipientsRequest as darkroom.v1.RecipientsRequest) };
      case 'uploadBegin':
        return { uploadAccepted: await beginUpload(this.#context(), envelope.uploadBegin as darkroom.v1.UploadBegin) };
      case 'uploadChunk':
        return { uploadAccepted: await uploadChunk(this.#context(), envelope.uploadChunk as darkroom.v1.UploadChunk) };
      case 'rewrapRequest':
        return { rewrapAccepted: rewrapBundle(this.#context(), envelope.rewrapRequest as darkroom.v1.RewrapRequest) };
      case 'statusRequest':
        return { bundleStatus: this.#status(envelope.statusRequest!.bundleId ?? '') };
      case 'reportRequest':
        return { report: this.#report(envelope.reportRequest!.bundleId ?? '') };
      case 'logsRequest':
        return { logs: this.#logs(envelope.logsRequest as darkroom.v1.LogsRequest) };
      case 'resultsRequest':
        return { results: this.#results(envelope.resultsRequest!.bundleId ?? '') };
      case 'embargoListRequest':
        return { embargoList: embargoListOf(this.#hub.store, this.#party(), { now: Date.now() }) };
      case 'subscribe':
        return { subscribed: this.#subscribe(envelope.subscribe as darkroom.v1.Subscribe) };
      default:
        throw new WireError('UNEXPECTED_MESSAGE', `A maintainer connection does not take '${envelope.body}' messages`);
    }
  }

  #recipients(request: darkroom.v1.RecipientsRequest): darkroom.v1.SignedRecipients.$Properties {
    const { store, identity } = this.#hub;
    if (request.trees.length === 0) throw new WireError('BAD_REQUEST', 'Recipients request names no tree: name the trees the bundle targets');
    const trees = new Set(request.trees.map((tree) => checkName(tree, 'Tree')));
    const embargo = activeEmbargoOf(this.#context(), request.embargo);
    const agents = store.embargoes.eligibleTesters(embargo).filter((agent) => agent.declaration?.trees.some((tree) => trees.has(tree)));
    const list: darkroom.v1.RecipientList.$Properties = {
      embargo: embargo.name,
      nonce: request.nonce,
      issuedAtMs: Date.now(),
      untilMs: embargo.untilMs,
      agents: agents.map(recipientOf),
      maintainers: store.embargoes.maintainersOf(embargo).map(recipientOf),
    };
    return signRecipientList(list, identity.signSecret, nacl);
  }

  /** The bundle and its embargo, if this party maintains that embargo (open or closed). */
  #bundle(bundleId: string): { bundle: Bundle; embargo: Embargo; party: Party } {
    const party = this.#party();
    const bundle = this.#hub.store.bundles.get(bundleId);
    if (!bundle) throw new WireError('NOT_FOUND', `No bundle with id '${bundleId}': check the id 'darkroom submit' printed`);
    const embargo = this.#hub.store.embargoes.byId(bundle.embargoId)!;
    if (!this.#hub.store.embargoes.isMaintainerOf(party, embargo)) throw new WireError('NOT_AUTHORIZED', `'${party.name}' is not a maintainer of embargo '${embargo.name}', which bundle ${bundleId} belongs to`);
    return { bundle, embargo, party };
  }

  #records(bundleId: string): JobRecord[] {
    const { store } = this.#hub;
    const results = latestResults(store.results.byBundle(bundleId));
    const classes = new Map<number, string>();
    return store.jobs.byBundle(bundleId).map((job) => {
      if (!classes.has(job.agentId)) classes.set(job.agentId, store.parties.byId(job.agentId)?.declaration?.hardwareClass ?? '');
      const result = results.get(job.id) ?? null;
      return { job, result, hardwareClass: result?.hardwareClass || classes.get(job.agentId)! };
    });
  }

  #status(bundleId: string): darkroom.v1.BundleStatus.$Properties {
    const { bundle, embargo } = this.#bundle(bundleId);
    const records = this.#records(bundle.id);
    return { bundleId: bundle.id, embargo: embargo.name, jobs: records.map(jobView), complete: bundle.complete && bundleComplete(records.map((r) => r.job)), barVerdictJson: barVerdictJson(this.#hub.store, bundle, { now: Date.now() }) };
  }

  #report(bundleId: string): darkroom.v1.Report {
    const { bundle, embargo, party } = this.#bundle(bundleId);
    const report = aggregate(this.#records(bundle.id).map(jobOutcome), { workloads: bundle.workloads });
    const { store } = this.#hub;
    store.write(() => store.audit.append({ actor: party.name, action: 'report.read', subject: bundle.id, details: { embargo: embargo.name } }, Date.now()));
    return reportToProto({ ...report, complete: report.complete && bundle.complete }, { bundleId: bundle.id, embargo: embargo.name, barVerdictJson: barVerdictJson(store, bundle, { now: Date.now() }) });
  }

  #logs(request: darkroom.v1.LogsRequest): darkroom.v1.Logs.$Properties {
    const { bundle } = this.#bundle(request.bundleId);
    const { store } = this.#hub;
    const agents = new Map(store.jobs.byBundle(bundle.id).map((job) => [job.id, job.agentName]));
    const entries = store.results.byBundle(bundle.id)
      .filter((stored) => stored.sealedLogs && (!request.agent || agents.get(stored.jobId) === request.agent))
      .map((stored) => ({ jobId: stored.jobId, agent: agents.get(stored.jobId)!, attempt: stored.attempt, sealedLogs: stored.sealedLogs! }));
    const packed = packWithin(entries, (entry) => entry.sealedLogs.length);
    if (packed.left > 0) this.#logger.warn({ bundle: bundle.id, left: packed.left }, 'logs reply truncated to the frame limit');
    return { bundleId: bundle.id, entries: packed.items };
  }

  #results(bundleId: string): darkroom.v1.Results.$Properties {
    const { bundle } = this.#bundle(bundleId);
    const { store } = this.#hub;
    const signers = [...new Set(store.jobs.byBundle(bundle.id).map((job) => job.agentId))].map((id) => store.parties.byId(id)!);
    const stored = store.results.byBundle(bundle.id).map((result) => darkroom.v1.SignedResult.decode(result.signed));
    const packed = packWithin(stored, (signed) => signed.result.length + signed.signature.length);
    if (packed.left > 0) this.#logger.warn({ bundle: bundle.id, left: packed.left }, 'results reply truncated to the frame limit');
    return { bundleId: bundle.id, results: packed.items, agents: signers.map(recipientOf), contacts: signers.map((agent) => agent.contact ?? '') };
  }

  #subscribe(request: darkroom.v1.Subscribe): darkroom.v1.Subscribed.$Properties {
    const party = this.#party();
    const { store } = this.#hub;
    const maintained = store.embargoes.list().filter((embargo) => store.embargoes.isMaintainerOf(party, embargo)).map((embargo) => embargo.name);
    for (const name of request.embargoes) {
      const embargo = store.embargoes.byName(name);
      if (!embargo) throw new WireError('NOT_FOUND', `No embargo named '${name}' to subscribe to`);
      if (!store.embargoes.isMaintainerOf(party, embargo)) throw new WireError('NOT_AUTHORIZED', `'${party.name}' is not a maintainer of embargo '${name}': only its maintainers hear of it`);
    }
    for (const bundleId of request.bundleIds) this.#bundle(bundleId);
    const trees = request.trees.map((tree) => checkName(tree, 'Tree'));
    if (request.webhook) this.#subscribeWebhook(party, { embargoes: request.all ? maintained : request.embargoes, trees, webhook: request.webhook });
    this.#hub.subscribe({
      partyName: party.name,
      channel: this.#channel,
      embargoes: request.all ? null : new Set(request.embargoes),
      bundleIds: new Set(request.bundleIds),
      trees: new Set(trees),
    });
    return { embargoes: request.all ? maintained : [...new Set(request.embargoes)] };
  }

  /** Durable subscriptions: the coordinator POSTs matching notifications to the webhook. */
  #subscribeWebhook(party: Party, target: { embargoes: string[]; trees: string[]; webhook: string }): void {
    const { store } = this.#hub;
    const now = Date.now();
    store.write(() => {
      for (const embargo of target.embargoes) store.subscriptions.add(party, { embargo }, { webhook: target.webhook, now });
      for (const tree of target.trees) store.subscriptions.add(party, { tree }, { webhook: target.webhook, now });
    });
  }
}
