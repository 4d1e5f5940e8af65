// Enrolment: a client that proved it holds fresh keys presents its one-time token (inside the
// sealed session) and, for agents, its declaration; the token is consumed atomically.
import { darkroom } from '../../proto/darkroom.js';
import { WireError } from '../../shared/wire/errors.js';
import type { Peer } from '../../shared/wire/handshake.js';
import type { Channel } from '../../transport/channel.js';
import type { Declaration, Role } from '../store/parties.js';
import type { Hub } from './hub.js';
import { toWireError } from './wire-errors.js';

/** Time a connected enrolling client has to send its request. */
export const ENROLL_REQUEST_TIMEOUT_MS = 10_000;

export function roleOf(role: darkroom.v1.Role): Role | null {
  if (role === darkroom.v1.Role.ROLE_AGENT) return 'agent';
  if (role === darkroom.v1.Role.ROLE_MAINTAINER) return 'maintainer';
  return null;
}

/** The store's form of an agent's declaration. */
export function declarationOf(d: darkroom.v1.IAgentDeclaration): Declaration {
  const profile = darkroom.v1.HardwareProfile.toObject(darkroom.v1.HardwareProfile.fromObject(d.profile ?? {})) as Record<string, unknown>;
  return {
    profile,
    hardwareClass: d.hardwareClass ?? '',
    trees: (d.trees ?? []).map((t) => t.name ?? ''),
    workloads: (d.workloads ?? []).map((w) => ({ name: w.name ?? '', format: w.format ?? '' })),
    concurrency: d.concurrency ?? 1,
    software: d.software ?? undefined,
  };
}

export function runEnrollSession(hub: Hub, peer: Peer, channel: Channel): void {
  const role = roleOf(peer.role);
  const timer = setTimeout(() => channel.fail(new WireError('HANDSHAKE_TIMEOUT', `No enrolment request within ${ENROLL_REQUEST_TIMEOUT_MS} ms`)), ENROLL_REQUEST_TIMEOUT_MS);
  channel.onClose(() => clearTimeout(timer));
  channel.handle((envelope) => {
    clearTimeout(timer);
    if (envelope.body !== 'enrollRequest' || !role) {
      channel.fail(new WireError('UNEXPECTED_MESSAGE', `An enrolling client must send EnrollRequest first, not '${envelope.body ?? 'nothing'}'`));
      return;
    }
    const request = envelope.enrollRequest!;
    try {
      const party = hub.store.enrol({
        token: request.token ?? '',
        role,
        keys: { signKey: peer.signKey, boxKey: peer.boxKey },
        contact: request.contact || null,
        declaration: role === 'agent' && request.declaration ? declarationOf(request.declaration) : null,
      }, Date.now());
      hub.logger.info({ party: party.name, role, fingerprint: party.fingerprint }, 'party enrolled');
      channel.reply(envelope, { enrollResult: { name: party.name, role: peer.role, groups: party.groups, fingerprint: party.fingerprint } });
      void channel.flush().then(() => channel.close(1000, 'enrolled'));
    } catch (error) {
      const wire = toWireError(error);
      hub.logger.warn({ fingerprint: peer.fingerprint, code: wire.code, err: wire.message }, 'enrolment refused');
      channel.reply(envelope, { error: wire.toProto(true) });
      void channel.flush().then(() => channel.close(4000 + wire.protoCode, wire.code));
    }
  });
}
