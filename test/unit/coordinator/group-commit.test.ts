// Group commit: many writes, one transaction; each caller answered only once its write is
// committed; a refused write undoes only itself (its savepoint), never its neighbours'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { GroupCommit } from '../../../coordinator/server/group-commit.js';
import { DATABASE_FILE_NAME, inWrite } from '../../../coordinator/store/database.js';
import { tempStore } from './helpers.js';

async function notesStore(t: Parameters<typeof tempStore>[0]) {
  const store = await tempStore(t);
  store.db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
  const other = new Database(`${store.dataDir}/${DATABASE_FILE_NAME}`, { readonly: true });
  t.after(() => other.close());
  const visible = () => (other.prepare('SELECT text FROM notes ORDER BY id').all() as Array<{ text: string }>).map((row) => row.text);
  return { store, visible, insert: store.db.prepare('INSERT INTO notes (text) VALUES (?)') };
}

test('writes queued in one turn commit together, in order, and each caller hears only after the commit', async (t) => {
  const { store, visible, insert } = await notesStore(t);
  const commits = new GroupCommit(store);
  const seenWhenAnswered: string[][] = [];
  const inOneTransaction: boolean[] = [];
  const runs = ['a', 'b', 'c'].map((text) => commits.run(() => {
    inOneTransaction.push(store.db.inTransaction);
    insert.run(text);
    return text;
  }).then((value) => {
    seenWhenAnswered.push(visible());
    return value;
  }));
  assert.deepEqual(visible(), [], 'nothing is written before the turn ends');
  assert.deepEqual(await Promise.all(runs), ['a', 'b', 'c']);
  assert.deepEqual(inOneTransaction, [true, true, true]);
  for (const seen of seenWhenAnswered) assert.deepEqual(seen, ['a', 'b', 'c'], 'another connection sees every write of the batch by the time any caller is answered');
});

test('a refused write rejects its own caller and undoes only its own rows', async (t) => {
  const { store, visible, insert } = await notesStore(t);
  const commits = new GroupCommit(store);
  const good = commits.run(() => insert.run('kept'));
  const bad = commits.run(() => {
    insert.run('undone');
    throw new Error('refused');
  });
  const after = commits.run(() => insert.run('also kept'));
  await assert.rejects(bad, /refused/);
  await Promise.all([good, after]);
  assert.deepEqual(visible(), ['kept', 'also kept']);
});

test('a batch larger than the limit is split over several transactions, all committed', async (t) => {
  const { store, visible, insert } = await notesStore(t);
  const commits = new GroupCommit(store, { maxWrites: 2 });
  await Promise.all(['1', '2', '3', '4', '5'].map((text) => commits.run(() => insert.run(text))));
  assert.deepEqual(visible(), ['1', '2', '3', '4', '5']);
});

test('flush commits what is queued at once (before the store closes)', async (t) => {
  const { store, visible, insert } = await notesStore(t);
  const commits = new GroupCommit(store);
  const run = commits.run(() => insert.run('now'));
  commits.flush();
  assert.deepEqual(visible(), ['now']);
  await run;
});

test('nested inWrite calls are savepoints: an inner failure undoes only the inner writes', async (t) => {
  const { store, visible, insert } = await notesStore(t);
  inWrite(store.db, () => {
    insert.run('outer');
    assert.throws(() => inWrite(store.db, () => {
      insert.run('inner');
      throw new Error('inner refused');
    }), /inner refused/);
    inWrite(store.db, () => insert.run('second inner'));
  });
  assert.deepEqual(visible(), ['outer', 'second inner']);
  assert.throws(() => inWrite(store.db, () => inWrite(store.db, () => Promise.resolve(1))), /cannot run asynchronous work/);
});
