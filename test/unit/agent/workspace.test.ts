// The workspaces' root is taken by its real path: a reused build directory reached through another
// symlink to the same state must keep the paths its build recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, realpath, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Workspaces } from '../../../agent/workspace.js';
import { tempDir } from '../../support/bundle-fixture.js';

test('workspaces opened through two symlinks to one directory name the same build directory, created 0700', async (t) => {
  const dir = await tempDir(t, 'dr-workspace-');
  const real = join(dir, 'cache', 'workspace');
  await mkdir(real, { recursive: true });
  await symlink(real, join(dir, 'state-a'));
  await symlink(real, join(dir, 'state-b'));
  const a = await Workspaces.open(join(dir, 'state-a'));
  const b = await Workspaces.open(join(dir, 'state-b'));
  assert.equal(a.buildDir('linux'), b.buildDir('linux'));
  assert.equal(a.root, await realpath(real));
  const fresh = await Workspaces.open(join(dir, 'new', 'workspace'));
  assert.equal((await stat(fresh.root)).mode & 0o777, 0o700, 'a missing root is created private');
});
