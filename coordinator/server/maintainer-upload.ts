// A maintainer's bundle intake: the signed header and stanzas checked and routed, the payload
// appended chunk by chunk (resumable), then acceptance, which creates the jobs; and rewrap.
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { darkroom } from '../../proto/darkroom.js';
import { readHeader, readStanza, sealedPayloadBytes, type ParsedHeader } from '../../shared/bundle/index.js';
import { WireError } from '../../shared/wire/errors.js';
import { payloadPath, type Bundle, type StanzaFor } from '../store/bundles.js';
import { embargoState, type Embargo } from '../store/embargoes.js';
import type { Party } from '../store/parties.js';
import type { Hub } from './hub.js';

/** Largest UploadChunk the coordinator takes: memory per upload stays bounded by it. */
export const MAX_UPLOAD_CHUNK_BYTES = 1024 * 1024;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sameKey = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

export interface IntakeContext {
  hub: Hub;
  /** The maintainer, as the store knows them now. */
  party: Party;
}

/** The embargo, if this party maintains it and it is open. */
export function activeEmbargoOf(context: IntakeContext, name: string): Embargo {
  const { store } = context.hub;
  const embargo = store.embargoes.byName(name);
  if (!embargo) throw new WireError('NOT_FOUND', `No embargo named '${name}': check the name with the coordinator's administrator`);
  if (!store.embargoes.isMaintainerOf(context.party, embargo)) throw new WireError('NOT_AUTHORIZED', `'${context.party.name}' is not a maintainer of embargo '${name}': ask the administrator to add you`);
  const state = embargoState(embargo, Date.now());
  if (state !== 'active') throw new WireError('EMBARGO_CLOSED', `Embargo '${name}' is ${state}: it takes no more bundles or recipients`);
  return embargo;
}

function checkHeader(context: IntakeContext, signedHeader: Uint8Array): ParsedHeader {
  let parsed: ParsedHeader;
  try {
    parsed = readHeader(signedHeader);
  } catch (cause) {
    throw new WireError('BAD_REQUEST', `Bundle header refused: ${(cause as Error).message}`, { cause });
  }
  if (parsed.header.kind !== darkroom.v1.SealedKind.BUNDLE) throw new WireError('BAD_REQUEST', `Envelope ${parsed.bundleId} is not a bundle (kind ${parsed.header.kind}): upload bundles only`);
  if (!sameKey(parsed.signerKey, context.party.signKey)) {
    throw new WireError('NOT_AUTHORIZED', `Bundle ${parsed.bundleId} is signed by '${parsed.header.signerName}', not by the key '${context.party.name}' connected with: sign with your own enrolled key`);
  }
  return parsed;
}

/**
 * Checks each stanza (signed by the bundle's signer) and names the eligible agent or the embargo's
 * maintainer it is sealed to (maintainers get the series too: `darkroom fetch`).
 */
export function routeStanzas(context: IntakeContext, parsed: ParsedHeader, embargo: Embargo, stanzas: readonly Uint8Array[]): StanzaFor[] {
  const { embargoes } = context.hub.store;
  const agents = new Map([...embargoes.eligibleTesters(embargo), ...embargoes.maintainersOf(embargo)].map((party) => [hex(party.boxKey), party]));
  const seen = new Set<string>();
  return stanzas.map((bytes, index) => {
    let recipientKey: Uint8Array;
    try {
      recipientKey = readStanza(bytes, parsed).recipientBoxKey;
    } catch (cause) {
      throw new WireError('BAD_REQUEST', `Stanza ${index} of bundle ${parsed.bundleId} refused: ${(cause as Error).message}`, { cause });
    }
    const agent = agents.get(hex(recipientKey));
    if (!agent) throw new WireError('BAD_REQUEST', `Stanza ${index} of bundle ${parsed.bundleId} is sealed to box key ${hex(recipientKey).slice(0, 16)}…, which is no eligible agent or maintainer of embargo '${embargo.name}': fetch a fresh recipient list and seal again`);
    if (seen.has(agent.name)) throw new WireError('BAD_REQUEST', `Bundle ${parsed.bundleId} has two stanzas for '${agent.name}': seal once per recipient`);
    seen.add(agent.name);
    return { recipient: agent.name, stanza: bytes };
  });
}

async function storedBytes(context: IntakeContext, bundleId: string): Promise<number> {
  return stat(payloadPath(context.hub.store.dataDir, bundleId)).then((info) => info.size, () => 0);
}

/** UploadBegin: a new bundle is recorded; a known, incomplete one says where to continue. */
export async function beginUpload(context: IntakeContext, begin: darkroom.v1.UploadBegin): Promise<darkroom.v1.UploadAccepted.$Properties> {
  const { store } = context.hub;
  const parsed = checkHeader(context, begin.header);
  const embargo = activeEmbargoOf(context, parsed.header.embargo);
  const expected = sealedPayloadBytes(Number(parsed.header.payloadBytes));
  if (Number(begin.payloadBytes) !== expected) {
    throw new WireError('BAD_REQUEST', `Upload announces ${begin.payloadBytes} payload bytes, but the header's ${parsed.header.payloadBytes} plaintext bytes seal to ${expected}: seal the bundle again`);
  }
  const existing = store.bundles.get(parsed.bundleId);
  if (existing) {
    if (existing.submitterId !== context.party.id) throw new WireError('NOT_AUTHORIZED', `Bundle ${parsed.bundleId} was submitted by another maintainer`);
    if (existing.complete) return { bundleId: existing.id, complete: true, receivedBytes: existing.payloadBytes, jobs: store.jobs.byBundle(existing.id).length };
    return { bundleId: existing.id, complete: false, receivedBytes: await storedBytes(context, existing.id) };
  }
  const stanzas = routeStanzas(context, parsed, embargo, begin.stanzas);
  store.bundles.create({
    id: parsed.bundleId,
    embargo: embargo.name,
    submitter: context.party,
    header: parsed.signedHeaderBytes,
    trees: parsed.header.targets.map((target) => target.tree ?? ''),
    workloads: parsed.header.workloads,
    payloadBytes: expected,
    stanzas,
  }, Date.now());
  const handle = await open(payloadPath(store.dataDir, parsed.bundleId), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  await handle.close();
  return { bundleId: parsed.bundleId, complete: false, receivedBytes: 0 };
}

/** The bundle, if this party submitted it. */
function ownBundle(context: IntakeContext, bundleId: string): Bundle {
  const bundle = context.hub.store.bundles.get(bundleId);
  if (!bundle) throw new WireError('NOT_FOUND', `No bundle with id '${bundleId}': start the upload with UploadBegin`);
  if (bundle.submitterId !== context.party.id) throw new WireError('NOT_AUTHORIZED', `Bundle ${bundleId} was submitted by another maintainer`);
  return bundle;
}

/** Appends one chunk at exactly the stored size; returns the new size. */
async function append(context: IntakeContext, bundle: Bundle, chunk: darkroom.v1.UploadChunk): Promise<number> {
  const offset = Number(chunk.offset);
  const handle = await open(payloadPath(context.hub.store.dataDir, bundle.id), constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
  try {
    const size = (await handle.stat()).size;
    if (offset !== size) throw new WireError('BAD_REQUEST', `Chunk of bundle ${bundle.id} starts at byte ${offset}, but ${size} bytes are stored: continue at ${size}`);
    if (size + chunk.data.length > bundle.payloadBytes) throw new WireError('BAD_REQUEST', `Chunk of bundle ${bundle.id} ends at byte ${size + chunk.data.length}, past its ${bundle.payloadBytes} payload bytes`);
    await handle.write(chunk.data);
    if (chunk.last) await handle.sync();
    return size + chunk.data.length;
  } finally {
    await handle.close();
  }
}

/** UploadChunk: append; on the last one check the size, accept, offer the jobs, notify. */
export async function uploadChunk(context: IntakeContext, chunk: darkroom.v1.UploadChunk): Promise<darkroom.v1.UploadAccepted.$Properties> {
  const { hub } = context;
  const bundle = ownBundle(context, chunk.bundleId);
  if (bundle.complete) return { bundleId: bundle.id, complete: true, receivedBytes: bundle.payloadBytes, jobs: hub.store.jobs.byBundle(bundle.id).length };
  if (chunk.data.length > MAX_UPLOAD_CHUNK_BYTES) throw new WireError('BAD_REQUEST', `Chunk of ${chunk.data.length} bytes is over the limit of ${MAX_UPLOAD_CHUNK_BYTES}: send smaller chunks`);
  const size = await append(context, bundle, chunk);
  if (!chunk.last) {
    hub.store.bundles.recordReceived(bundle.id, size);
    return { bundleId: bundle.id, complete: false, receivedBytes: size };
  }
  if (size !== bundle.payloadBytes) throw new WireError('BAD_REQUEST', `Upload of bundle ${bundle.id} ended at byte ${size}, but its header makes ${bundle.payloadBytes}: resume the upload`);
  const now = Date.now();
  // The payload is on disk (append synced it); acceptance, job creation and the offers share one commit.
  const { jobs } = await hub.offerAfter(() => hub.store.bundles.accept(bundle.id, now), (accepted) => accepted.agents);
  const embargo = hub.store.embargoes.byId(bundle.embargoId)!;
  hub.logger.info({ party: context.party.name, bundle: bundle.id, embargo: embargo.name, jobs: jobs.length }, 'bundle accepted');
  hub.notify({ kind: darkroom.v1.NotificationKind.BUNDLE_SUBMITTED, embargo: embargo.name, bundleId: bundle.id, tree: bundle.trees[0] ?? '', atMs: now });
  return { bundleId: bundle.id, complete: true, receivedBytes: size, jobs: jobs.length };
}

/** RewrapRequest: stanzas for agents eligible since; their jobs are created and offered. */
export function rewrapBundle(context: IntakeContext, request: darkroom.v1.RewrapRequest): darkroom.v1.RewrapAccepted.$Properties {
  const { hub } = context;
  const bundle = ownBundle(context, request.bundleId);
  const parsed = checkHeader(context, bundle.header);
  const embargo = activeEmbargoOf(context, parsed.header.embargo);
  const stanzas = routeStanzas(context, parsed, embargo, request.stanzas);
  const jobs = hub.store.bundles.rewrap(bundle.id, { stanzas, actor: context.party, now: Date.now() });
  hub.logger.info({ party: context.party.name, bundle: bundle.id, recipients: stanzas.map((s) => s.recipient), jobs: jobs.length }, 'bundle rewrapped');
  if (jobs.length > 0) hub.offerToAll();
  return { bundleId: bundle.id, newJobs: jobs.length };
}
