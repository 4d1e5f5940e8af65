// What a notification mail says (metadata only, the embargo only when asked, a stable Message-ID)
// and when a mail the relay refused is tried again. Pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterFailure, retryDelayMs } from '../../../coordinator/mail/backoff.js';
import { composeMail, domainOf } from '../../../coordinator/mail/compose.js';
import { checkRelay } from '../../../coordinator/mail/relay.js';

const NOTICE = { kind: 'BUNDLE_SUBMITTED', embargo: 'CVE-2030-1234', bundleId: 'ab'.repeat(16), tree: 'linux-6.1.y', atMs: 1_900_000_000_000 };

test('a mail names the bundle, tree and time, the next command, and the embargo only when the subscriber asked', () => {
  const quiet = composeMail({ notice: NOTICE, namesEmbargo: false, token: 'f00d' }, { from: 'Darkroom <dr@example.org>' });
  assert.equal(quiet.messageId, '<f00d@example.org>');
  assert.equal(`${quiet.subject}\n${quiet.text}`.includes('CVE-2030-1234'), false);
  assert.match(quiet.text, new RegExp(`bundle\\s+${NOTICE.bundleId}`));
  assert.match(quiet.text, /tree\s+linux-6\.1\.y/);
  assert.match(quiet.text, new RegExp(`darkroom fetch ${NOTICE.bundleId} --out DIR`));
  const named = composeMail({ notice: NOTICE, namesEmbargo: true, token: 'f00d' }, { from: 'dr@example.org' });
  assert.match(named.subject, /CVE-2030-1234/);
  assert.equal(named.messageId, quiet.messageId, 'the Message-ID depends on the queued row only');
});

test('only the notice\'s metadata fields reach the mail', () => {
  const mail = composeMail({ notice: { ...NOTICE, description: 'SECRET-DESCRIPTION', caseName: 'SECRET-CASE' }, namesEmbargo: true, token: 'a1' }, { from: 'dr@example.org' });
  assert.equal(`${mail.subject}${mail.text}`.includes('SECRET'), false);
});

test('retries double from the first delay up to the ceiling, and a mail is given up after the give-up time', () => {
  const policy = { firstMs: 2_000, maxMs: 10_000, giveUpAfterMs: 60_000 };
  assert.deepEqual([1, 2, 3, 4, 5].map((attempts) => retryDelayMs(attempts, policy)), [2_000, 4_000, 8_000, 10_000, 10_000]);
  assert.deepEqual(afterFailure({ createdAt: 0, attempts: 0 }, { now: 1_000, policy }), { retryAt: 3_000 });
  assert.equal(afterFailure({ createdAt: 0, attempts: 9 }, { now: 60_000, policy }), 'give-up');
  assert.equal(domainOf('Darkroom <dr@mail.example.org>'), 'mail.example.org');
});

test('plain SMTP is refused to a relay off this machine, and a From address is required', () => {
  assert.throws(() => checkRelay({ host: 'smtp.example.org', port: 25, security: 'none', from: 'dr@example.org' }), { code: 'RELAY_INVALID', message: /in the clear/ });
  assert.throws(() => checkRelay({ host: 'smtp.example.org', port: 587, security: 'starttls', from: 'Darkroom' }), { code: 'RELAY_INVALID', message: /--mail-from/ });
  assert.equal(checkRelay({ host: '127.0.0.1', port: 25, security: 'none', from: 'dr@example.org' }).host, '127.0.0.1');
});
