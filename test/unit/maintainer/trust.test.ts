// Whom a maintainer seals to: its own approvals, its co-maintainers' signed lists, replays refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApprovalsError, openApprovalList, signApprovalList, type Approval } from '../../../shared/approvals.js';
import { fingerprint, generateIdentity, type Identity } from '../../../shared/identity.js';
import type { ListedParty, RecipientList } from '../../../shared/recipients.js';
import { EMPTY_TRUST, acceptRelayed, approveCommand, reviewRecipients, withApproval, withoutApproval, type TrustRecord } from '../../../maintainer/trust.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const me = generateIdentity();
const self = { fingerprint: fingerprint(me) };

function party(name: string, identity: Identity = generateIdentity()): ListedParty {
  return { name, signKey: identity.signKey, boxKey: identity.boxKey, fingerprint: fingerprint(identity), hardwareClass: 'x86_64/AMD/EPYC', trees: ['linux'], workloads: [] };
}

function recipientList(agents: ListedParty[], maintainers: ListedParty[] = []): RecipientList {
  return { embargo: 'cve-1', issuedAtMs: 1, untilMs: 2, agents, maintainers, approvalLists: [] };
}

function approved(...approvals: Approval[]): TrustRecord {
  return approvals.reduce((record, approval) => withApproval(record, approval, NOW).record, EMPTY_TRUST);
}

const list = (signer: Identity, version: number, parties: Approval[], approver = 'mo') => signApprovalList(signer, { approver, version, issuedAtMs: 1, parties });

test('only agents approved with the listed key are sealed to; the others are left out, a changed key is named', () => {
  const labA = party('lab-a');
  const labB = party('lab-b');
  const swapped = party('lab-c');
  const record = approved({ name: 'lab-a', role: 'agent', fingerprint: labA.fingerprint }, { name: 'lab-c', role: 'agent', fingerprint: fingerprint(generateIdentity()) });
  const review = reviewRecipients(recipientList([labA, labB, swapped]), record, self);
  assert.deepEqual(review.agents.approved.map((p) => p.name), ['lab-a']);
  assert.deepEqual(review.agents.unapproved.map((p) => p.name), ['lab-b']);
  assert.deepEqual(review.agents.changed.map((c) => [c.party.name, c.by]), [['lab-c', 'you']]);
  assert.equal(approveCommand('agent', labB), `darkroom trust agent lab-b --fingerprint ${labB.fingerprint}`);
});

test('an agent key approved under another name is not approved under this one', () => {
  const key = generateIdentity();
  const record = approved({ name: 'lab-a', role: 'agent', fingerprint: fingerprint(key) });
  const review = reviewRecipients(recipientList([party('coordinator-lab', key)]), record, self);
  assert.deepEqual(review.agents.unapproved.map((p) => p.name), ['coordinator-lab']);
});

test('log readers: the submitter is never reviewed, co-maintainers only when approved', () => {
  const mo = generateIdentity();
  const listed = [party('me', me), party('mo', mo), party('operator')];
  const review = reviewRecipients(recipientList([], listed), approved({ name: 'mo', role: 'maintainer', fingerprint: fingerprint(mo) }), self);
  assert.deepEqual(review.maintainers.approved.map((p) => p.name), ['mo']);
  assert.deepEqual(review.maintainers.unapproved.map((p) => p.name), ['operator']);
});

test("a co-maintainer's signed list counts once its key is approved, and only then", () => {
  const mo = generateIdentity();
  const labB = party('lab-b');
  const moList = list(mo, 1, [{ name: 'lab-b', role: 'agent', fingerprint: labB.fingerprint }]);

  const unapproved = acceptRelayed(EMPTY_TRUST, [moList]);
  assert.deepEqual(unapproved.refused, []);
  assert.deepEqual(reviewRecipients(recipientList([labB]), unapproved.record, self).agents.unapproved.map((p) => p.name), ['lab-b']);

  const taken = acceptRelayed(approved({ name: 'mo', role: 'maintainer', fingerprint: fingerprint(mo) }), [moList]);
  assert.equal(Object.values(taken.record.relayed)[0]!.version, 1);
  assert.deepEqual(reviewRecipients(recipientList([labB]), taken.record, self).agents.approved.map((p) => p.name), ['lab-b']);
});

test('an older list of an approved co-maintainer is refused as a replay; a forged one as forged', () => {
  const mo = generateIdentity();
  const labB = party('lab-b');
  const v1 = list(mo, 1, [{ name: 'lab-b', role: 'agent', fingerprint: labB.fingerprint }]);
  const v2 = list(mo, 2, []);
  const start = approved({ name: 'mo', role: 'maintainer', fingerprint: fingerprint(mo) });
  const seen = acceptRelayed(start, [v2]).record;

  const replayed = acceptRelayed(seen, [v1]);
  assert.equal(replayed.refused.length, 1);
  assert.match(replayed.refused[0]!.reason, /version 1, older than version 2 already seen: an old list was replayed/);
  assert.deepEqual(reviewRecipients(recipientList([labB]), replayed.record, self).agents.unapproved.map((p) => p.name), ['lab-b']);

  const both = acceptRelayed(start, [v1, v2]);
  assert.equal(Object.values(both.record.relayed)[0]!.version, 2, 'the newest of two relayed at once is kept, the older refused');
  assert.equal(both.refused.length, 1);

  const forged = Buffer.from(v1);
  forged[forged.length - 70]! ^= 1;
  const refused = acceptRelayed(start, [forged]);
  assert.equal(refused.refused.length, 1);
  assert.match(refused.refused[0]!.reason, /not signed by the key it names|does not decode|lacks its signature/);
});

test('approval lists: signed by the key they name, altered ones refused', () => {
  const mo = generateIdentity();
  const opened = openApprovalList(list(mo, 3, [{ name: 'lab-a', role: 'agent', fingerprint: 'DR1:AAAA' }]));
  assert.deepEqual([opened.approverFingerprint, opened.version, opened.parties], [fingerprint(mo), 3, [{ name: 'lab-a', role: 'agent', fingerprint: 'DR1:AAAA' }]]);
  const altered = Buffer.from(list(mo, 3, []));
  altered[6]! ^= 1;
  assert.throws(() => openApprovalList(altered), (e: unknown) => e instanceof ApprovalsError);
});

test('approving bumps the version only on a change; removing an unknown name is an error', () => {
  const once = withApproval(EMPTY_TRUST, { name: 'lab-a', role: 'agent', fingerprint: 'DR1:AAAA' }, NOW);
  assert.equal(once.record.version, 1);
  const again = withApproval(once.record, { name: 'lab-a', role: 'agent', fingerprint: 'DR1:AAAA' }, NOW);
  assert.equal(again.changed, false);
  assert.equal(withoutApproval(once.record, 'lab-a').approved.length, 0);
  assert.throws(() => withoutApproval(once.record, 'lab-z'), /has not approved 'lab-z'/);
});
