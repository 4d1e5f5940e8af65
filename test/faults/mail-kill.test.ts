// THREAT-MODEL 27 with a real `coordinator serve` process: mail queued while the relay is down, the
// coordinator killed with SIGKILL, the relay back, the coordinator restarted: each mail arrives
// exactly once (one acceptance per Message-ID, none missing), and the audit chain holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAuditIntact } from '../../coordinator/admin/audit.js';
import { generateIdentity } from '../../shared/identity.js';
import { startCoordinatorProcess } from '../support/coordinator-process.js';
import { until } from '../support/demo-job.js';
import { startSmtpSink } from '../support/smtp-sink.js';

const MAINTAINERS = 20;
const EMBARGO = 'cve-kill';
const TEST_TIMEOUT_MS = 180_000;

test('mail queued with the relay down is sent exactly once after a SIGKILL and restart', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const sink = await startSmtpSink();
  t.after(() => sink.stop());
  await sink.stop();
  const lab = await startCoordinatorProcess(t, {
    serveArgs: ['--smtp-host', '127.0.0.1', '--smtp-port', String(sink.port), '--smtp-security', 'none', '--mail-from', 'Darkroom <darkroom@darkroom.test>', '--mail-retry-first', '1s', '--mail-retry-max', '1s'],
  });
  const addresses = Array.from({ length: MAINTAINERS }, (_, index) => `m-${index}@example.org`);
  lab.admin((store) => store.write(() => {
    const now = Date.now();
    addresses.forEach((address, index) => {
      const token = store.tokens.issue({ role: 'maintainer', name: `m-${index}`, groups: ['kernel'], ttlMs: 3_600_000 }, now).token;
      const party = store.enrol({ token, role: 'maintainer', keys: generateIdentity() }, now);
      store.mailSubscriptions.add(party, { all: true }, { address, namesEmbargo: true, now });
    });
    store.embargoes.create({ name: EMBARGO, testers: '@lab', maintainers: '@kernel', until: new Date(now + 86_400_000).toISOString() }, { actor: 'admin', now });
  }));
  await until('every maintainer told of the embargo', () => lab.admin((store) => store.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM embargo_maintainers_told').get()!.n === MAINTAINERS));
  lab.admin((store) => store.discloseEmbargo(EMBARGO, { actor: 'admin:test', now: Date.now() }));
  await until('every mail tried and waiting', () => lab.admin((store) => store.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM mail_queue WHERE sent_at IS NULL AND attempts >= 1').get()!.n === 2 * MAINTAINERS));
  assert.equal(sink.mails.length, 0);

  await lab.kill();
  await sink.start();
  await lab.restart();
  await until('every mail sent', () => lab.admin((store) => store.mailQueue.counts().sent === 2 * MAINTAINERS));

  assert.equal(sink.mails.length, 2 * MAINTAINERS, 'one acceptance per mail');
  assert.equal(new Set(sink.mails.map((mail) => mail.messageId)).size, 2 * MAINTAINERS, 'no Message-ID accepted twice');
  for (const address of addresses) {
    const mine = sink.mails.filter((mail) => mail.to.includes(address));
    assert.deepEqual(mine.map((mail) => /^X-Darkroom-Notification:\s*(\S+)/im.exec(mail.raw)?.[1]).sort(), ['EMBARGO_DISCLOSED', 'MAINTAINER_ADDED'], `${address} hears of both events once`);
    for (const mail of mine) assert.ok(mail.raw.includes(EMBARGO), 'the embargo is named, as these subscribers asked');
  }
  assert.deepEqual(lab.admin((store) => store.mailQueue.counts()), { queued: 0, sent: 2 * MAINTAINERS, abandoned: 0 });
  assert.equal(lab.admin((store) => assertAuditIntact(store)).problem, null);
});
