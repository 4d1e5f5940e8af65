// `darkroom rewrap BUNDLE`: wrap the kept content key for approved agents that became eligible, or
// were approved, since the bundle was sealed.
import { readHeader, wrapForRecipients } from '../shared/bundle/index.js';
import { WireError } from '../shared/wire/errors.js';
import type { MaintainerConnection } from './connection.js';
import type { MaintainerHome } from './home.js';
import { resolveRecipients, type ApprovalPrompt, type ResolvedRecipients } from './recipients.js';

export interface Rewrapped {
  bundleId: string;
  /** Agents the key was newly wrapped for. */
  added: string[];
  jobs: number;
  trust: Pick<ResolvedRecipients, 'leftOut' | 'refused' | 'approvedNow'>;
}

export async function rewrapBundle(home: MaintainerHome, connection: MaintainerConnection, options: { bundleId: string; prompt?: ApprovalPrompt }): Promise<Rewrapped> {
  const record = await home.bundle(options.bundleId);
  const parsed = readHeader(Buffer.from(record.signedHeader, 'base64'));
  const resolved = await resolveRecipients(home, connection, { embargo: record.embargo, trees: record.trees, ...(options.prompt ? { prompt: options.prompt } : {}) });
  const known = new Set(record.recipients);
  const fresh = resolved.agents.filter((agent) => !known.has(agent.name));
  const trust = { leftOut: resolved.leftOut.filter((entry) => entry.role === 'agent' && !known.has(entry.party.name)), refused: resolved.refused, approvedNow: resolved.approvedNow };
  if (fresh.length === 0) return { bundleId: record.bundleId, added: [], jobs: 0, trust };
  const stanzas = wrapForRecipients(Buffer.from(record.contentKey, 'base64'), parsed, fresh.map((agent) => agent.boxKey), connection.identity);
  const reply = await connection.channel.request({ rewrapRequest: { bundleId: record.bundleId, stanzas } });
  if (!reply.rewrapAccepted) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a rewrap request with '${reply.body}'`);
  const added = fresh.map((agent) => agent.name);
  await home.saveBundle({ ...record, recipients: [...record.recipients, ...added] });
  return { bundleId: record.bundleId, added, jobs: reply.rewrapAccepted.newJobs ?? 0, trust };
}
