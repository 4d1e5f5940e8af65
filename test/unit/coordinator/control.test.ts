import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { ChangeWatcher } from '../../../coordinator/store/control.js';
import { Store } from '../../../coordinator/store/store.js';
import { T0, enrolAgent, tempDir } from './helpers.js';

test('the watcher fires after another connection commits, not after its own writes', async (t) => {
  const dir = await tempDir(t);
  const server = Store.open(dir, { create: true });
  const admin = Store.open(dir);
  t.after(() => {
    admin.close();
    server.close();
  });
  const events = new EventEmitter();
  const seen: string[] = [];
  const watcher = new ChangeWatcher(server.db, {
    intervalMs: 10,
    onChange: () => {
      seen.push(server.revokedParties().map((party) => party.name).join(','));
      events.emit('change');
    },
    onError: (error) => events.emit('error', error),
  });
  watcher.start();
  const keepAlive = setInterval(() => undefined, 1_000);
  t.after(() => {
    watcher.stop();
    clearInterval(keepAlive);
  });
  enrolAgent(server, 'alice');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(seen, [], 'own writes do not wake the watcher');
  const changed = once(events, 'change');
  admin.revoke('alice', { actor: 'admin', now: T0 });
  await changed;
  assert.deepEqual(seen, ['alice']);
});
