// A bar's deadline on a running coordinator: when it passes with the bar unmet, the sweep judges
// the bundle failed, naming the deadline, and subscribed maintainers hear BAR_FAILED exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../proto/darkroom.js';
import { setEmbargoBar } from '../../coordinator/admin/bar.js';
import { restartCoordinator, connectAs, declaration, enrol, issueToken, startLab } from '../support/coordinator-lab.js';
import { submitDemo, until } from '../support/demo-job.js';

/** Far enough ahead that the bar is set and the bundle accepted before it passes. */
const DEADLINE_AHEAD_MS = 3_000;

test('the deadline passes with the bar unmet: failed, naming the deadline, notified once', { timeout: 60_000 }, async (t) => {
  const lab = await startLab(t);
  await enrol(lab, 'agent', issueToken(lab, 'agent', 'lab-1', ['demo']), declaration(['ringbuf']));
  const maintainer = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'alice'))).identity;
  const deadline = new Date(Date.now() + DEADLINE_AHEAD_MS).toISOString();
  lab.admin((store) => {
    const now = Date.now();
    store.write(() => store.embargoes.create({ name: 'CVE-DEMO', testers: '@demo', maintainers: 'alice', until: new Date(now + 86_400_000).toISOString() }, { actor: 'admin:test', now }));
    setEmbargoBar(store, { embargo: 'CVE-DEMO', file: 'bar.yaml', text: `boot: {classes: 1}\ndeadline: ${deadline}\n` }, { actor: 'admin:test', now });
  });
  const { channel } = await connectAs(lab, maintainer, 'maintainer');
  t.after(() => channel.close());
  const heard: darkroom.v1.Notification.$Properties[] = [];
  channel.handle((envelope) => {
    if (envelope.notification?.kind === darkroom.v1.NotificationKind.BAR_FAILED) heard.push(envelope.notification);
  });
  await channel.request({ subscribe: { all: true } });
  const bundleId = await submitDemo(t, lab, { maintainer, agents: ['lab-1'] });

  const before = JSON.parse((await channel.request({ reportRequest: { bundleId } })).report!.barVerdictJson!) as { verdict: string; missing: string[] };
  assert.equal(before.verdict, 'pending', 'the agent never connected, so nothing has run yet');
  assert.deepEqual(before.missing, ['boot: 1 more hardware class']);

  const notice = await until('the BAR_FAILED notification', () => heard[0], 30_000);
  assert.equal(notice.bundleId, bundleId);
  assert.equal(notice.embargo, 'CVE-DEMO');
  assert.equal(notice.status, darkroom.v1.Status.FAIL);
  const after = JSON.parse((await channel.request({ reportRequest: { bundleId } })).report!.barVerdictJson!) as { verdict: string; missing: string[]; deadlinePassed: boolean };
  assert.equal(after.verdict, 'failed');
  assert.equal(after.deadlinePassed, true);
  assert.deepEqual(after.missing, ['boot: 1 more hardware class', `deadline ${deadline} passed`]);
  assert.equal(lab.admin((store) => store.barVerdicts.get(bundleId)), 'failed', 'the verdict is stored');

  await restartCoordinator(lab);
  const { channel: again } = await connectAs(lab, maintainer, 'maintainer');
  t.after(() => again.close());
  let repeated = 0;
  again.handle((envelope) => {
    if (envelope.notification?.kind === darkroom.v1.NotificationKind.BAR_FAILED) repeated++;
  });
  await again.request({ subscribe: { all: true } });
  // Two sweeps (one a second) have run on the restarted coordinator: neither may notify again.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(repeated, 0, 'a restarted coordinator does not notify the same verdict again');
  assert.equal(heard.length, 1);
});
