// The offer scheduler plans each agent once per group commit however often it is asked, and an
// agent that went away before its plan ran is asked for again once it is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinatorMetrics } from '../../../coordinator/metrics/metrics.js';
import { GroupCommit } from '../../../coordinator/server/group-commit.js';
import { OfferScheduler } from '../../../coordinator/server/offers.js';
import { Registry, type Connected } from '../../../coordinator/server/registry.js';
import { silentLogger } from '../../../shared/log.js';
import type { Channel } from '../../../transport/channel.js';
import { acceptBundle, enrolAgent, enrolMaintainer, openEmbargo, tempStore } from './helpers.js';

/** A connection that keeps what was pushed to it. */
function connection(name: string): Connected & { pushed: Uint8Array[] } {
  const pushed: Uint8Array[] = [];
  const channel = { closed: false, sendEncoded: (bytes: Uint8Array) => pushed.push(bytes) > 0, send: () => true } as unknown as Channel;
  return { name, role: 'agent', channel, connectedAt: 0, pushed };
}

/** `count` turns of the event loop, or fewer once `done` holds (the commit runs on setImmediate). */
async function turns(count: number, done: () => boolean = () => false): Promise<void> {
  for (let turn = 0; turn < count && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
}

async function turnsUntil(done: () => boolean, what: string): Promise<void> {
  await turns(100, done);
  assert.ok(done(), what);
}

test('asked twice before the commit, an agent is planned once; gone before the commit, it is planned again once back', async (t) => {
  const store = await tempStore(t);
  const alice = enrolAgent(store, 'alice', { concurrency: 2 });
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice');
  const registry = new Registry();
  const commits = new GroupCommit(store);
  const offers = new OfferScheduler({ store, registry, commits, logger: silentLogger, metrics: new CoordinatorMetrics({ store, agentsConnected: () => registry.size }) });

  acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice] });
  const first = connection('alice');
  const firstLeaves = registry.add(first);
  offers.offerTo(['alice']);
  offers.offerTo(['alice']);
  await turnsUntil(() => first.pushed.length > 0, 'the queued job is offered');
  await turns(5);
  assert.equal(first.pushed.length, 1, 'one plan for two asks: the job is offered once');

  firstLeaves();
  acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice] });
  const gone = connection('alice');
  const leave = registry.add(gone);
  offers.offerTo(['alice']);
  leave();
  await turns(5);
  assert.equal(gone.pushed.length, 0, 'nothing is pushed to a connection that left before the commit');

  const back = connection('alice');
  registry.add(back);
  offers.offerTo(['alice']);
  await turnsUntil(() => back.pushed.length > 0, 'asked again once back, the agent is planned again and gets both its offers');
  assert.equal(back.pushed.length, 2, 'the unanswered offer resent and the new job offered');
});
