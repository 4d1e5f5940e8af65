// Paths tests share: the repository root, found from the compiled test's own location.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory above this file holding package.json and test/fixtures (dist/ is not it). */
function findRepoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'fixtures'))) return dir;
  }
  throw new Error(`Cannot find the repository root above ${fileURLToPath(import.meta.url)}: run the tests from a checkout`);
}

export const REPO_ROOT = findRepoRoot();

export const fixturePath = (...parts: string[]): string => join(REPO_ROOT, 'test', 'fixtures', ...parts);
