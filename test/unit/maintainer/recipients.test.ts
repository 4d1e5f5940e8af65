// The maintainer's checks before sealing: the signed recipient list and the target pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { fingerprint, generateIdentity, type Identity } from '../../../shared/identity.js';
import { RecipientsError, signRecipientList, verifySignedRecipients } from '../../../shared/recipients.js';
import { pairTargets, SubmitError } from '../../../maintainer/submit.js';

const coordinator = generateIdentity();
const nonce = new Uint8Array(32).fill(7);

function listed(name: string, identity: Identity, print = fingerprint(identity)): darkroom.v1.Recipient.$Properties {
  return { name, signKey: identity.signKey, boxKey: identity.boxKey, fingerprint: print, hardwareClass: 'x86_64', trees: ['linux-6.1.y'], workloads: ['ltp'] };
}

function signedList(overrides: Partial<darkroom.v1.RecipientList.$Properties> = {}, signer = coordinator) {
  const agent = generateIdentity();
  const list = { embargo: 'cve-1', nonce, issuedAtMs: 1, untilMs: 2, agents: [listed('lab-a', agent)], maintainers: [listed('m', generateIdentity())], ...overrides };
  return signRecipientList(list, signer.signSecret);
}

const expectation = { coordinator, embargo: 'cve-1', nonce };

test('a list signed by the pinned coordinator, for this request, verifies', () => {
  const list = verifySignedRecipients(signedList(), expectation);
  assert.equal(list.embargo, 'cve-1');
  assert.deepEqual(list.agents.map((a) => a.name), ['lab-a']);
  assert.equal(list.maintainers[0]!.boxKey.length, 32);
});

test('a list signed by another key is refused', () => {
  assert.throws(() => verifySignedRecipients(signedList({}, generateIdentity()), expectation), (e: unknown) => e instanceof RecipientsError && e.code === 'RECIPIENTS_SIGNATURE');
});

test('a list altered after signing is refused', () => {
  const signed = signedList();
  const list = Buffer.from(signed.list!);
  list[list.length - 1]! ^= 1;
  assert.throws(() => verifySignedRecipients({ ...signed, list }, expectation), (e: unknown) => e instanceof RecipientsError && e.code === 'RECIPIENTS_SIGNATURE');
});

test('a replayed list (another nonce) or one for another embargo is refused', () => {
  assert.throws(() => verifySignedRecipients(signedList({ nonce: new Uint8Array(32) }), expectation), (e: unknown) => e instanceof RecipientsError && e.code === 'RECIPIENTS_MISMATCH');
  assert.throws(() => verifySignedRecipients(signedList({ embargo: 'cve-2' }), expectation), /embargo 'cve-2'/);
});

test('a recipient whose fingerprint does not match its keys is refused', () => {
  const agent = generateIdentity();
  const wrong = fingerprint(generateIdentity());
  assert.throws(() => verifySignedRecipients(signedList({ agents: [listed('lab-a', agent, wrong)] }), expectation), (e: unknown) => e instanceof RecipientsError && e.code === 'RECIPIENTS_MALFORMED');
});

test('--tree NAME=BASE pairs with --series PATH in order', () => {
  assert.deepEqual(pairTargets(['linux-6.1.y=v6.1.100', 'mainline=abc123'], ['a/', 'b.mbox']), [
    { tree: 'linux-6.1.y', base: 'v6.1.100', series: 'a/' },
    { tree: 'mainline', base: 'abc123', series: 'b.mbox' },
  ]);
  assert.throws(() => pairTargets(['linux=v1'], []), (e: unknown) => e instanceof SubmitError && /1 --tree but 0 --series/.test(e.message));
  assert.throws(() => pairTargets(['linux'], ['a']), /not NAME=BASE/);
  assert.throws(() => pairTargets([], []), /No --tree/);
});
