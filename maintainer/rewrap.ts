// `darkroom rewrap BUNDLE`: wrap the kept content key for agents that became eligible since.
import { readHeader, wrapForRecipients } from '../shared/bundle/index.js';
import { WireError } from '../shared/wire/errors.js';
import type { MaintainerConnection } from './connection.js';
import type { MaintainerHome, PinReview } from './home.js';
import { fetchRecipients, pinAgents, type PinConfirmation } from './recipients.js';

export interface Rewrapped {
  bundleId: string;
  /** Agents the key was newly wrapped for. */
  added: string[];
  jobs: number;
  review: PinReview;
}

export async function rewrapBundle(home: MaintainerHome, connection: MaintainerConnection, options: { bundleId: string; confirm: PinConfirmation }): Promise<Rewrapped> {
  const record = await home.bundle(options.bundleId);
  const parsed = readHeader(Buffer.from(record.signedHeader, 'base64'));
  const list = await fetchRecipients(connection, { embargo: record.embargo, trees: record.trees });
  const known = new Set(record.recipients);
  const fresh = list.agents.filter((agent) => !known.has(agent.name));
  const review = await pinAgents(home, fresh, options.confirm);
  if (fresh.length === 0) return { bundleId: record.bundleId, added: [], jobs: 0, review };
  const stanzas = wrapForRecipients(Buffer.from(record.contentKey, 'base64'), parsed, fresh.map((agent) => agent.boxKey), connection.identity);
  const reply = await connection.channel.request({ rewrapRequest: { bundleId: record.bundleId, stanzas } });
  if (!reply.rewrapAccepted) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a rewrap request with '${reply.body}'`);
  const added = fresh.map((agent) => agent.name);
  await home.saveBundle({ ...record, recipients: [...record.recipients, ...added] });
  return { bundleId: record.bundleId, added, jobs: reply.rewrapAccepted.newJobs ?? 0, review };
}
