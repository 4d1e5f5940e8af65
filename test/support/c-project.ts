// A real git repository for pipeline tests: a small C program with a Makefile and TAP and KTAP
// test scripts, and patch series made from it with git format-patch.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'Tester', GIT_AUTHOR_EMAIL: 't@lab.invalid', GIT_COMMITTER_NAME: 'Tester', GIT_COMMITTER_EMAIL: 't@lab.invalid' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

const FILES: Record<string, string> = {
  'Makefile': 'CC ?= cc\n\nhello: hello.c\n\t$(CC) -O0 -o hello hello.c\n\nclean:\n\trm -f hello\n',
  'hello.c': '#include <stdio.h>\n\nint add(int a, int b) { return a + b; }\n\nint main(void) {\n\tprintf("sum %d\\n", add(2, 3));\n\tprintf("greeting hello\\n");\n\treturn 0;\n}\n',
  'test.sh': [
    '#!/bin/sh',
    'out=$(./hello)',
    'echo "TAP version 13"',
    'echo "1..2"',
    'case "$out" in *"sum 5"*) echo "ok 1 - sum";; *) echo "not ok 1 - sum";; esac',
    'case "$out" in *"greeting hello"*) echo "ok 2 - greeting";; *) echo "not ok 2 - greeting";; esac',
    '',
  ].join('\n'),
  'ktap.sh': [
    '#!/bin/sh',
    'echo "KTAP version 1"',
    'echo "1..1"',
    'echo "    KTAP version 1"',
    'echo "    # Subtest: hello"',
    'echo "    1..2"',
    './hello | grep -q "sum 5" && echo "    ok 1 hello_sum" || echo "    not ok 1 hello_sum"',
    'echo "    ok 2 hello_rtc # SKIP no RTC"',
    'echo "ok 1 hello"',
    '',
  ].join('\n'),
};

/** Makes the tester's tree in `dir` and returns its base commit. */
export async function makeCProject(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'hello: first version');
  return git(dir, 'rev-parse', 'HEAD');
}

/** A commit's worth of change: a file and a replacement of text in it (`from: ''` on a missing file: a new file holding `to`). */
export interface Edit {
  file: string;
  from: string;
  to: string;
  subject: string;
}

/**
 * Commits each edit on a branch from `base`, writes the series with git format-patch into
 * `outDir`, and leaves the tester's tree back on main without them. Returns the patch paths.
 */
export async function makeSeries(repo: string, base: string, edits: readonly Edit[], outDir: string): Promise<string[]> {
  const branch = `series-${Math.random().toString(16).slice(2)}`;
  git(repo, 'checkout', '-q', '-b', branch, base);
  for (const edit of edits) {
    const path = join(repo, edit.file);
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (edit.from === '' && error.code === 'ENOENT' ? '' : Promise.reject(error)));
    if (!text.includes(edit.from)) throw new Error(`Test edit cannot apply: ${edit.file} does not contain ${JSON.stringify(edit.from)}`);
    await writeFile(path, text.replace(edit.from, edit.to));
    git(repo, 'add', edit.file);
    git(repo, 'commit', '-q', '-a', '-m', edit.subject);
  }
  const patches = git(repo, 'format-patch', '-o', outDir, `${base}..HEAD`).split('\n').filter(Boolean);
  git(repo, 'checkout', '-q', 'main');
  return patches;
}
