// Who a bundle is sealed to: the coordinator's signed list, checked, then held to this home's
// approvals (docs/trust.md). The coordinator proposes; only approved keys get a stanza or logs.
import { nacl } from '../shared/crypto/index.js';
import { fingerprint } from '../shared/identity.js';
import type { ApprovedRole } from '../shared/approvals.js';
import { verifySignedRecipients, type ListedParty, type RecipientList } from '../shared/recipients.js';
import { WireError } from '../shared/wire/errors.js';
import { approveParties, publishApprovals } from './approvals.js';
import type { MaintainerConnection } from './connection.js';
import type { MaintainerHome } from './home.js';
import { TrustError, acceptRelayed, approveCommand, reviewRecipients, type RefusedList, type TrustReview } from './trust.js';

const NONCE_BYTES = 32;

/** Asks for the embargo's eligible agents for `trees`, and checks the signature and the nonce. */
export async function fetchRecipients(connection: MaintainerConnection, request: { embargo: string; trees: string[] }): Promise<RecipientList> {
  const nonce = nacl.randomBytes(NONCE_BYTES);
  const reply = await connection.channel.request({ recipientsRequest: { embargo: request.embargo, trees: request.trees, nonce } });
  if (!reply.recipients) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a recipients request with '${reply.body}'`);
  return verifySignedRecipients(reply.recipients, { coordinator: connection.coordinator, embargo: request.embargo, nonce });
}

/** A party the coordinator listed that this home has not approved with that key. */
export interface Unapproved {
  role: ApprovedRole;
  party: ListedParty;
  /** Set when another key of this name was approved: the fingerprint approved, and by whom. */
  changed?: { approved: string; by: string };
}

/**
 * Asked on a terminal for each unapproved party (name, hardware class and whole fingerprint
 * shown); true approves that key in the home. Absent: nothing is ever approved implicitly.
 */
export type ApprovalPrompt = (candidate: Unapproved) => Promise<boolean>;

/** Whom to seal to, and what was left out or refused on the way. */
export interface ResolvedRecipients {
  list: RecipientList;
  /** Agents that get a stanza. */
  agents: ListedParty[];
  /** Maintainers the logs are sealed to: this home first, then the approved co-maintainers. */
  logReaders: Array<{ name: string; boxKey: Uint8Array }>;
  /** Listed but unapproved: no stanza, no logs. */
  leftOut: Unapproved[];
  /** Co-maintainers' lists that were not used, and why. */
  refused: RefusedList[];
  /** Parties approved at the prompt during this call. */
  approvedNow: Unapproved[];
}

function unapprovedOf(review: TrustReview): Unapproved[] {
  const out: Unapproved[] = [];
  for (const [role, part] of [['agent', review.agents], ['maintainer', review.maintainers]] as const) {
    for (const party of part.unapproved) out.push({ role, party });
    for (const change of part.changed) out.push({ role, party: change.party, changed: { approved: change.approved, by: change.by } });
  }
  return out;
}

/**
 * Fetches the list, takes the co-maintainers' lists it relays, reviews it against the home's
 * approvals (asking `prompt` when given), and publishes the home's list if it changed since.
 * A changed key of an approved party stops everything: nothing is sealed.
 */
export async function resolveRecipients(home: MaintainerHome, connection: MaintainerConnection, request: { embargo: string; trees: string[]; prompt?: ApprovalPrompt }): Promise<ResolvedRecipients> {
  const list = await fetchRecipients(connection, request);
  const taken = acceptRelayed(await home.trust(), list.approvalLists);
  await home.saveTrust(taken.record);
  const self = { name: connection.settings.name, fingerprint: fingerprint(connection.identity) };
  let record = taken.record;
  let review = reviewRecipients(list, record, self);
  const approvedNow: Unapproved[] = [];
  if (request.prompt) {
    for (const candidate of unapprovedOf(review)) {
      if (!(await request.prompt(candidate))) continue;
      record = (await approveParties(home, [{ name: candidate.party.name, role: candidate.role, fingerprint: candidate.party.fingerprint }])).record;
      approvedNow.push(candidate);
    }
    if (approvedNow.length > 0) review = reviewRecipients(list, record, self);
  }
  await publishApprovals(home, connection, record);
  const changed = [...review.agents.changed.map((c) => ({ ...c, role: 'agent' as const })), ...review.maintainers.changed.map((c) => ({ ...c, role: 'maintainer' as const }))];
  if (changed.length > 0) {
    const lines = changed.map((c) => `${c.role} ${c.party.name} was approved (by ${c.by}) as ${c.approved}, the coordinator now lists ${c.party.fingerprint}`);
    const commands = changed.map((c) => approveCommand(c.role, c.party));
    throw new TrustError('KEY_CHANGED', `The key of an approved party changed: ${lines.join('; ')}. Nothing was sealed; check the new fingerprint with its owner outside Darkroom, then run: ${commands.join(' ; ')}`);
  }
  return {
    list,
    agents: review.agents.approved,
    logReaders: [{ name: self.name, boxKey: connection.identity.boxKey }, ...review.maintainers.approved.map((m) => ({ name: m.name, boxKey: m.boxKey }))],
    leftOut: unapprovedOf(review),
    refused: taken.refused,
    approvedNow,
  };
}

/**
 * The embargo's maintainers this home trusts to read its logs and results: approved by this home,
 * or by a co-maintainer it approved, with the key the coordinator lists; this home's own first.
 */
export async function approvedMaintainers(home: MaintainerHome, connection: MaintainerConnection, options: { embargo: string }): Promise<Array<{ name: string; boxKey: Uint8Array }>> {
  return (await resolveRecipients(home, connection, { embargo: options.embargo, trees: [] })).logReaders;
}
