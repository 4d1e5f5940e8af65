// The coordinator's durable state behind one object: opens the file, joins the tables' modules.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PublicIdentity } from '../../shared/identity.js';
import { DEFAULT_JOB_POLICY, type JobPolicy } from '../jobs/lifecycle.js';
import { ApprovalLists } from './approval-lists.js';
import { AuditLog } from './audit.js';
import { BarVerdicts } from './bar-verdicts.js';
import { BUNDLES_DIR, Bundles } from './bundles.js';
import { DATABASE_FILE_NAME, inWrite, openDatabase, type Db, type OpenOptions } from './database.js';
import { Dispatch } from './dispatch.js';
import { Embargoes, embargoState, type Embargo } from './embargoes.js';
import { StoreError } from './errors.js';
import { Jobs, type Job } from './jobs.js';
import { MailQueue, type Notice } from './mail-queue.js';
import { MailSubscriptions } from './mail-subscriptions.js';
import { Parties, type Declaration, type Party, type Role } from './parties.js';
import { Results } from './results.js';
import { Subscriptions } from './subscriptions.js';
import { Tokens } from './tokens.js';

export interface StoreOptions extends OpenOptions {
  policy?: Partial<JobPolicy>;
}

export interface EnrolRequest {
  token: string;
  /** The role the client connected as; must match the token's. */
  role: Role;
  keys: PublicIdentity;
  contact?: string | null;
  /** Agents only. */
  declaration?: Declaration | null;
}

export interface Closure<T> {
  subject: T;
  /** Open jobs this cancelled; the server tells the agents that had them (see Jobs.pendingCancels). */
  cancelled: Job[];
}

export interface Revocation extends Closure<Party | null> {
  /** Unused tokens for the name that were voided. */
  voidedTokens: number;
}

export class Store {
  readonly dataDir: string;
  readonly db: Db;
  readonly audit: AuditLog;
  readonly parties: Parties;
  readonly tokens: Tokens;
  readonly embargoes: Embargoes;
  readonly jobs: Jobs;
  readonly bundles: Bundles;
  readonly results: Results;
  readonly dispatch: Dispatch;
  readonly subscriptions: Subscriptions;
  readonly barVerdicts: BarVerdicts;
  readonly approvalLists: ApprovalLists;
  readonly mailSubscriptions: MailSubscriptions;
  readonly mailQueue: MailQueue;

  /** Opens DATA/coordinator.db (creating it with `create`), migrated to the current schema. */
  static open(dataDir: string, options: StoreOptions = {}): Store {
    const db = openDatabase(join(dataDir, DATABASE_FILE_NAME), options);
    mkdirSync(join(dataDir, BUNDLES_DIR), { recursive: true, mode: 0o700 });
    return new Store(dataDir, db, { ...DEFAULT_JOB_POLICY, ...options.policy });
  }

  private constructor(dataDir: string, db: Db, policy: JobPolicy) {
    this.dataDir = dataDir;
    this.db = db;
    this.audit = new AuditLog(db);
    this.parties = new Parties(db, this.audit);
    this.tokens = new Tokens(db, this.audit);
    this.embargoes = new Embargoes(db, this.audit, this.parties);
    this.jobs = new Jobs(db, this.audit, policy);
    this.bundles = new Bundles(db, { audit: this.audit, parties: this.parties, embargoes: this.embargoes, jobs: this.jobs });
    this.results = new Results(db, this.audit, this.jobs);
    this.dispatch = new Dispatch(db, this.audit, this.jobs);
    this.subscriptions = new Subscriptions(db, this.audit, this.embargoes);
    this.barVerdicts = new BarVerdicts(db);
    this.approvalLists = new ApprovalLists(db, this.audit);
    this.mailSubscriptions = new MailSubscriptions(db, this.audit, this.embargoes);
    this.mailQueue = new MailQueue(db);
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE); store calls inside it join it. */
  write<T>(fn: () => T): T {
    return inWrite(this.db, fn);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Consumes the token and creates the party in one transaction. A client that enrolled but lost
   * the reply may present the same token with the same keys again and gets the same party.
   */
  enrol(request: EnrolRequest, now: number): Party {
    return this.write(() => {
      const retried = this.#retriedEnrolment(request);
      if (retried) return retried;
      const grant = this.tokens.consume(request.token, now);
      if (grant.role !== request.role) {
        throw new StoreError('TOKEN_WRONG_ROLE', `Enrolment token for '${grant.name}' is for a ${grant.role}, not a ${request.role}: use the command for the token's role`);
      }
      if (request.role === 'agent' && !request.declaration) throw new StoreError('DECLARATION_INVALID', 'Agent enrolment lacks its declaration: send hardware profile, class, trees and workloads');
      const party = this.parties.insert({
        name: grant.name,
        role: grant.role,
        signKey: request.keys.signKey,
        boxKey: request.keys.boxKey,
        groups: grant.groups,
        contact: request.contact || grant.contact,
        declaration: request.role === 'agent' ? request.declaration! : null,
      }, now);
      this.tokens.link(request.token, party.id);
      this.audit.append({ actor: party.name, action: 'party.enrolled', subject: party.name, details: { role: party.role, fingerprint: party.fingerprint, groups: party.groups } }, now);
      return party;
    });
  }

  #retriedEnrolment(request: EnrolRequest): Party | null {
    const partyId = this.tokens.enrolledBy(request.token);
    const party = partyId === null ? null : this.parties.byId(partyId);
    if (!party || party.revokedAt !== null) return null;
    const same = Buffer.from(party.signKey).equals(Buffer.from(request.keys.signKey)) && Buffer.from(party.boxKey).equals(Buffer.from(request.keys.boxKey));
    return same ? party : null;
  }

  /**
   * Revokes a party and cancels its open jobs, at once. A name with no party yet but unused
   * tokens has those tokens voided instead (a token leaked before it was used).
   */
  revoke(name: string, options: { actor: string; now: number }): Revocation {
    return this.write(() => {
      if (!this.parties.byName(name)) {
        const voidedTokens = this.tokens.voidUnused(name, options);
        if (voidedTokens > 0) return { subject: null, cancelled: [], voidedTokens };
      }
      const party = this.parties.markRevoked(name, options);
      const cancelled = party.role === 'agent' ? this.jobs.cancelOpen({ agentId: party.id }, { ...options, reason: 'agent revoked' }) : [];
      return { subject: party, cancelled, voidedTokens: this.tokens.voidUnused(name, options) };
    });
  }

  /**
   * Queues the notification's mail to every subscribed address that may hear of it, in the caller's
   * transaction (or its own): the mail is as durable as the event. Returns the mails added.
   */
  queueMail(notice: Notice, options: { now: number }): number {
    return this.write(() => {
      const embargo = this.embargoes.byName(String(notice.embargo ?? ''));
      if (!embargo) return 0;
      const tree = typeof notice.tree === 'string' ? notice.tree : undefined;
      const onlyParty = typeof notice.maintainer === 'string' && notice.maintainer !== '' ? notice.maintainer : undefined;
      const recipients = this.mailSubscriptions.recipients(embargo, { ...(tree ? { tree } : {}), ...(onlyParty ? { onlyParty } : {}) });
      return this.mailQueue.enqueue(notice, recipients, options.now);
    });
  }

  /** Withdraws an embargo, cancels its open jobs and queues the members' mail, at once. */
  withdrawEmbargo(name: string, options: { actor: string; now: number }): Closure<Embargo> {
    return this.write(() => {
      const embargo = this.embargoes.markWithdrawn(name, options);
      this.queueMail({ kind: 'EMBARGO_WITHDRAWN', embargo: embargo.name, atMs: options.now }, options);
      return { subject: embargo, cancelled: this.jobs.cancelOpen({ embargoId: embargo.id }, { ...options, reason: 'embargo withdrawn' }) };
    });
  }

  /**
   * Discloses an embargo: its open jobs are cancelled (agents wipe them, as on withdrawal), it is
   * marked disclosed and its members' mail is queued, at once. Results stay readable.
   */
  discloseEmbargo(name: string, options: { actor: string; now: number; reason?: string }): Closure<Embargo> {
    return this.write(() => {
      const embargo = this.embargoes.markDisclosed(name, options);
      this.queueMail({ kind: 'EMBARGO_DISCLOSED', embargo: embargo.name, atMs: options.now }, options);
      return { subject: embargo, cancelled: this.jobs.cancelOpen({ embargoId: embargo.id }, { ...options, reason: options.reason ?? 'embargo disclosed' }) };
    });
  }

  /**
   * Discloses every embargo whose disclosure date passed, cancelling its open jobs; the server
   * runs it on a timer.
   */
  expireDue(now: number): Array<Closure<Embargo>> {
    return this.write(() =>
      this.embargoes.due(now).map((embargo) => {
        this.embargoes.markExpired(embargo, now);
        const closure = this.discloseEmbargo(embargo.name, { actor: 'coordinator', now, reason: 'embargo deadline passed' });
        return { ...closure, subject: { ...closure.subject, expiredAt: now } };
      }),
    );
  }

  /**
   * Maintainers who joined an open embargo since they were last told (named at its creation, or
   * enrolled into one of its groups): recorded as told, their mail queued, at once.
   */
  tellNewMaintainers(now: number): Array<{ embargo: string; maintainer: string }> {
    return this.write(() =>
      this.embargoes.list().filter((embargo) => embargoState(embargo, now) === 'active').flatMap((embargo) =>
        this.embargoes.takeUntoldMaintainers(embargo, now).map((party) => {
          this.queueMail({ kind: 'MAINTAINER_ADDED', embargo: embargo.name, maintainer: party.name, atMs: now }, { now });
          return { embargo: embargo.name, maintainer: party.name };
        }),
      ),
    );
  }

  /** Revoked parties: after a change, the server closes any connection they still hold. */
  revokedParties(): Party[] {
    return this.parties.list().filter((party) => party.revokedAt !== null);
  }

  /** Embargoes withdrawn or past their deadline at `now`. */
  closedEmbargoes(now: number): Embargo[] {
    return this.embargoes.list().filter((embargo) => embargoState(embargo, now) !== 'active');
  }
}
