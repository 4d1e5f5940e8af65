// `darkroom rewrap BUNDLE`: wrap the kept content key for approved agents that became eligible, or
// were approved, since the bundle was sealed, and for the embargo's maintainers approved since
// (who can then `darkroom fetch` it). The logs stay sealed to the maintainers named at submit.
import { readHeader, wrapForRecipients } from '../shared/bundle/index.js';
import { WireError } from '../shared/wire/errors.js';
import type { MaintainerConnection } from './connection.js';
import type { BundleRecord, MaintainerHome } from './home.js';
import { resolveRecipients, type ApprovalPrompt, type ResolvedRecipients } from './recipients.js';

export interface Rewrapped {
  bundleId: string;
  /** Agents the key was newly wrapped for. */
  added: string[];
  /** Maintainers the key was newly wrapped for. */
  maintainers: string[];
  jobs: number;
  trust: Pick<ResolvedRecipients, 'leftOut' | 'refused' | 'approvedNow'>;
}

/**
 * The maintainers the bundle's key is already sealed to. A record written before they were kept
 * names only this home (submit always sealed to it): the approved co-maintainers are then wrapped
 * for again, and the coordinator keeps the stanza each already has.
 */
function sealedMaintainers(record: BundleRecord, self: string): Set<string> {
  return new Set(record.maintainers ?? [self]);
}

export async function rewrapBundle(home: MaintainerHome, connection: MaintainerConnection, options: { bundleId: string; prompt?: ApprovalPrompt }): Promise<Rewrapped> {
  const record = await home.bundle(options.bundleId);
  const parsed = readHeader(Buffer.from(record.signedHeader, 'base64'));
  const resolved = await resolveRecipients(home, connection, { embargo: record.embargo, trees: record.trees, ...(options.prompt ? { prompt: options.prompt } : {}) });
  const knownAgents = new Set(record.recipients);
  const knownMaintainers = sealedMaintainers(record, connection.settings.name);
  const freshAgents = resolved.agents.filter((agent) => !knownAgents.has(agent.name));
  const freshMaintainers = resolved.logReaders.filter((maintainer) => !knownMaintainers.has(maintainer.name));
  const leftOut = resolved.leftOut.filter((entry) => !(entry.role === 'agent' ? knownAgents : knownMaintainers).has(entry.party.name));
  const trust = { leftOut, refused: resolved.refused, approvedNow: resolved.approvedNow };
  if (freshAgents.length === 0 && freshMaintainers.length === 0) return { bundleId: record.bundleId, added: [], maintainers: [], jobs: 0, trust };
  const stanzas = wrapForRecipients(Buffer.from(record.contentKey, 'base64'), parsed, [...freshAgents, ...freshMaintainers].map((party) => party.boxKey), connection.identity);
  const reply = await connection.channel.request({ rewrapRequest: { bundleId: record.bundleId, stanzas } });
  if (!reply.rewrapAccepted) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a rewrap request with '${reply.body}'`);
  const added = freshAgents.map((agent) => agent.name);
  const maintainers = freshMaintainers.map((maintainer) => maintainer.name);
  await home.saveBundle({ ...record, recipients: [...record.recipients, ...added], maintainers: [...knownMaintainers, ...maintainers] });
  return { bundleId: record.bundleId, added, maintainers, jobs: reply.rewrapAccepted.newJobs ?? 0, trust };
}
