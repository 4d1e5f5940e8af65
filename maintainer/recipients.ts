// Who a bundle is sealed to: the coordinator's signed list, checked, and its agents held to the pins.
import { nacl } from '../shared/crypto/index.js';
import { verifySignedRecipients, type ListedParty, type RecipientList } from '../shared/recipients.js';
import { WireError } from '../shared/wire/errors.js';
import type { MaintainerConnection } from './connection.js';
import { reviewPins, updatePins, type MaintainerHome, type PinReview } from './home.js';

const NONCE_BYTES = 32;

/** Asks for the embargo's eligible agents for `trees`, and checks the signature and the nonce. */
export async function fetchRecipients(connection: MaintainerConnection, request: { embargo: string; trees: string[] }): Promise<RecipientList> {
  const nonce = nacl.randomBytes(NONCE_BYTES);
  const reply = await connection.channel.request({ recipientsRequest: { embargo: request.embargo, trees: request.trees, nonce } });
  if (!reply.recipients) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a recipients request with '${reply.body}'`);
  return verifySignedRecipients(reply.recipients, { coordinator: connection.coordinator, embargo: request.embargo, nonce });
}

/**
 * The maintainers a bundle is sealed to (to fetch the series) and its logs are sealed to: the one
 * place that decides who counts as an approved co-maintainer of the embargo.
 */
export function sealedMaintainers(list: RecipientList): ListedParty[] {
  return list.maintainers;
}

/**
 * Decides whether a review may go ahead: called with every review; must return true to accept
 * changed keys (it is not asked to accept new agents: they are pinned on first sight).
 */
export type PinConfirmation = (review: PinReview) => Promise<boolean>;

/** Compares the list's agents with the home's pins, asks `confirm`, saves the updated pins. */
export async function pinAgents(home: MaintainerHome, agents: readonly ListedParty[], confirm: PinConfirmation): Promise<PinReview> {
  const pins = await home.pins();
  const review = reviewPins(pins, agents.map((agent) => ({ name: agent.name, fingerprint: agent.fingerprint })));
  const confirmed = await confirm(review);
  const next = updatePins(pins, review, { confirmed, now: new Date() });
  if (review.added.length > 0 || review.changed.length > 0) await home.savePins(next);
  return review;
}
