// Sealed bundles: signed header, payload file, per-recipient stanzas; acceptance creates the jobs.
import { join } from 'node:path';
import type { AuditLog } from './audit.js';
import { inWrite, type Db } from './database.js';
import type { Embargo, Embargoes } from './embargoes.js';
import { embargoState } from './embargoes.js';
import { StoreError } from './errors.js';
import type { Job, Jobs } from './jobs.js';
import type { Parties, Party } from './parties.js';

export const BUNDLES_DIR = 'bundles';
const BUNDLE_ID = /^[0-9a-f]{32}$/;
/** Bundle → embargo names remembered by `embargoNameOf` before the memo starts over. */
const EMBARGO_NAMES_KEPT = 10_000;

export interface StanzaFor {
  /** The recipient party's name. */
  recipient: string;
  /** SignedStanza bytes, as the maintainer sent them. */
  stanza: Uint8Array;
}

export interface NewBundle {
  id: string;
  embargo: string;
  submitter: Party;
  /** SignedHeader bytes. */
  header: Uint8Array;
  /** Trees the header targets, and the workloads it asks for (empty: every declared one). */
  trees: string[];
  workloads: string[];
  payloadBytes: number;
  stanzas: StanzaFor[];
}

export interface Bundle {
  id: string;
  embargoId: number;
  submitterId: number;
  header: Uint8Array;
  trees: string[];
  workloads: string[];
  /** Relative to the data directory; see `payloadPath`. */
  payloadFile: string;
  payloadBytes: number;
  receivedBytes: number;
  complete: boolean;
  createdAt: number;
  acceptedAt: number | null;
}

interface RawBundle {
  id: string;
  embargo_id: number;
  submitter_id: number;
  header: Buffer;
  trees_json: string;
  workloads_json: string;
  payload_path: string;
  payload_bytes: number;
  received_bytes: number;
  complete: number;
  created_at: number;
  accepted_at: number | null;
}

const fromRaw = (raw: RawBundle): Bundle => ({
  id: raw.id,
  embargoId: raw.embargo_id,
  submitterId: raw.submitter_id,
  header: new Uint8Array(raw.header),
  trees: JSON.parse(raw.trees_json) as string[],
  workloads: JSON.parse(raw.workloads_json) as string[],
  payloadFile: raw.payload_path,
  payloadBytes: raw.payload_bytes,
  receivedBytes: raw.received_bytes,
  complete: raw.complete === 1,
  createdAt: raw.created_at,
  acceptedAt: raw.accepted_at,
});

/** Where a bundle's payload ciphertext lives: DATA/bundles/<id>.payload. */
export function payloadPath(dataDir: string, bundleId: string): string {
  return join(dataDir, BUNDLES_DIR, `${bundleId}.payload`);
}

export interface BundleDeps {
  audit: AuditLog;
  parties: Parties;
  embargoes: Embargoes;
  jobs: Jobs;
}

export class Bundles {
  readonly #db: Db;
  readonly #deps: BundleDeps;
  readonly #insert;
  readonly #get;
  readonly #byEmbargo;
  readonly #all;
  readonly #insertStanza;
  readonly #stanza;
  readonly #recipients;
  readonly #received;
  readonly #accept;
  readonly #embargoName;
  readonly #embargoNames = new Map<string, string>();

  constructor(db: Db, deps: BundleDeps) {
    this.#db = db;
    this.#deps = deps;
    this.#insert = db.prepare('INSERT INTO bundles (id, embargo_id, submitter_id, header, trees_json, workloads_json, payload_path, payload_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.#get = db.prepare<[string], RawBundle>('SELECT * FROM bundles WHERE id = ?');
    this.#byEmbargo = db.prepare<[number], RawBundle>('SELECT * FROM bundles WHERE embargo_id = ? ORDER BY created_at');
    this.#all = db.prepare<[], RawBundle>('SELECT * FROM bundles ORDER BY created_at');
    this.#insertStanza = db.prepare('INSERT OR IGNORE INTO stanzas (bundle_id, party_id, stanza, added_at) VALUES (?, ?, ?, ?)');
    this.#stanza = db.prepare<[string, number], { stanza: Buffer }>('SELECT stanza FROM stanzas WHERE bundle_id = ? AND party_id = ?');
    this.#recipients = db.prepare<[string], { party_id: number }>('SELECT party_id FROM stanzas WHERE bundle_id = ?');
    this.#received = db.prepare('UPDATE bundles SET received_bytes = ? WHERE id = ? AND complete = 0');
    this.#accept = db.prepare('UPDATE bundles SET complete = 1, received_bytes = payload_bytes, accepted_at = ? WHERE id = ? AND complete = 0');
    this.#embargoName = db.prepare<[string], { name: string }>('SELECT e.name FROM bundles b JOIN embargoes e ON e.id = b.embargo_id WHERE b.id = ?');
  }

  /**
   * Records a bundle whose upload is starting: the submitter must maintain the embargo and the
   * embargo must be open. Its jobs are created when the payload is complete (`accept`).
   */
  create(request: NewBundle, now: number): Bundle {
    return inWrite(this.#db, () => {
      if (!BUNDLE_ID.test(request.id)) throw new StoreError('BUNDLE_INVALID', `Bundle id '${request.id}' is not 32 lowercase hex digits`);
      if (this.#get.get(request.id)) throw new StoreError('BUNDLE_EXISTS', `Bundle '${request.id}' was already submitted: resume its upload instead`);
      if (!Number.isSafeInteger(request.payloadBytes) || request.payloadBytes < 0) throw new StoreError('BUNDLE_INVALID', `Bundle payload size ${request.payloadBytes} is not a byte count`);
      const embargo = this.#openEmbargo(request.embargo, now);
      if (!this.#deps.embargoes.isMaintainerOf(request.submitter, embargo)) {
        throw new StoreError('BUNDLE_INVALID', `'${request.submitter.name}' is not a maintainer of embargo '${embargo.name}': ask the administrator to add you`);
      }
      this.#insert.run(request.id, embargo.id, request.submitter.id, request.header, JSON.stringify(request.trees), JSON.stringify(request.workloads), join(BUNDLES_DIR, `${request.id}.payload`), request.payloadBytes, now);
      this.#addStanzas(request.id, request.stanzas, now);
      return this.require(request.id);
    });
  }

  #openEmbargo(name: string, now: number): Embargo {
    const embargo = this.#deps.embargoes.require(name);
    const state = embargoState(embargo, now);
    if (state !== 'active') throw new StoreError('EMBARGO_CLOSED', `Embargo '${name}' is ${state}: it accepts no more bundles`);
    return embargo;
  }

  #addStanzas(bundleId: string, stanzas: readonly StanzaFor[], now: number): void {
    for (const { recipient, stanza } of stanzas) {
      const party = this.#deps.parties.byName(recipient);
      if (!party) throw new StoreError('BUNDLE_INVALID', `Bundle '${bundleId}' has a stanza for '${recipient}', who is not enrolled: fetch a fresh recipient list`);
      this.#insertStanza.run(bundleId, party.id, stanza, now);
    }
  }

  get(id: string): Bundle | null {
    const raw = this.#get.get(id);
    return raw ? fromRaw(raw) : null;
  }

  require(id: string): Bundle {
    const bundle = this.get(id);
    if (!bundle) throw new StoreError('BUNDLE_UNKNOWN', `No bundle with id '${id}'`);
    return bundle;
  }

  /**
   * The name of the bundle's embargo, or null for an unknown bundle (cheaper than `get`). A
   * bundle never changes embargo, so the answer is remembered (notifications ask once per result).
   */
  embargoNameOf(id: string): string | null {
    const known = this.#embargoNames.get(id);
    if (known !== undefined) return known;
    const name = this.#embargoName.get(id)?.name ?? null;
    if (name === null) return null;
    if (this.#embargoNames.size >= EMBARGO_NAMES_KEPT) this.#embargoNames.clear();
    this.#embargoNames.set(id, name);
    return name;
  }

  /** Every bundle, complete or still uploading (backups copy their payloads). */
  list(): Bundle[] {
    return this.#all.all().map(fromRaw);
  }

  byEmbargo(embargoId: number): Bundle[] {
    return this.#byEmbargo.all(embargoId).map(fromRaw);
  }

  /** The signed stanza sealed to this party, or null when the bundle was not sealed to it. */
  stanzaFor(bundleId: string, partyId: number): Uint8Array | null {
    const row = this.#stanza.get(bundleId, partyId);
    return row ? new Uint8Array(row.stanza) : null;
  }

  /** How far an upload has got, so a cut upload resumes there. */
  recordReceived(bundleId: string, receivedBytes: number): void {
    this.#received.run(receivedBytes, bundleId);
  }

  /**
   * Marks the payload complete, creates the jobs and records the acceptance, at once; returns the
   * jobs created and their agents as read here (to be offered in the same transaction).
   */
  accept(bundleId: string, now: number): { bundle: Bundle; jobs: Job[]; agents: Party[] } {
    return inWrite(this.#db, () => {
      const bundle = this.require(bundleId);
      const embargo = this.#openEmbargo(this.#deps.embargoes.byId(bundle.embargoId)!.name, now);
      if (this.#accept.run(now, bundleId).changes !== 1) return { bundle, jobs: [], agents: [] };
      const { jobs, agents } = this.#createJobs(bundle, embargo, now);
      const submitter = this.#deps.parties.byId(bundle.submitterId)!;
      this.#deps.audit.append({ actor: submitter.name, action: 'bundle.accepted', subject: bundleId, details: { embargo: embargo.name, bytes: bundle.payloadBytes, jobs: jobs.length, agents: [...new Set(jobs.map((job) => job.agentName))].sort() } }, now);
      return { bundle: this.require(bundleId), jobs, agents };
    });
  }

  /** Adds stanzas for more recipients (rewrap); returns the jobs this creates. */
  rewrap(bundleId: string, { stanzas, actor, now }: { stanzas: readonly StanzaFor[]; actor: Party; now: number }): Job[] {
    return inWrite(this.#db, () => {
      const bundle = this.require(bundleId);
      const embargo = this.#openEmbargo(this.#deps.embargoes.byId(bundle.embargoId)!.name, now);
      if (!this.#deps.embargoes.isMaintainerOf(actor, embargo)) throw new StoreError('BUNDLE_INVALID', `'${actor.name}' is not a maintainer of embargo '${embargo.name}'`);
      this.#addStanzas(bundleId, stanzas, now);
      const jobs = bundle.complete ? this.#createJobs(bundle, embargo, now).jobs : [];
      this.#deps.audit.append({ actor: actor.name, action: 'bundle.rewrapped', subject: bundleId, details: { recipients: stanzas.map((s) => s.recipient).sort(), jobs: jobs.length } }, now);
      return jobs;
    });
  }

  /**
   * One job per (recipient that is an eligible agent × tree it declared that the bundle targets);
   * the recipients read by one query. Returns the jobs created and the agents given one.
   */
  #createJobs(bundle: Bundle, embargo: Embargo, now: number): { jobs: Job[]; agents: Party[] } {
    const pairs: Array<{ agent: Party; tree: string }> = [];
    const recipients = this.#deps.parties.byIds(this.#recipients.all(bundle.id).map((row) => row.party_id)).sort((a, b) => a.id - b.id);
    for (const agent of recipients) {
      if (!this.#deps.embargoes.isTesterOf(agent, embargo) || !agent.declaration) continue;
      for (const tree of bundle.trees) if (agent.declaration.trees.includes(tree)) pairs.push({ agent, tree });
    }
    const jobs = this.#deps.jobs.create(bundle.id, { pairs, now });
    const given = new Set(jobs.map((job) => job.agentId));
    return { jobs, agents: recipients.filter((agent) => given.has(agent.id)) };
  }
}
