// The git steps of a stage as one bash process: the script runs what each step's kind says, and
// its report gives back each step's exit status and output, whatever git printed.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { gitScriptArgs, gitScriptCommand, parseGitReport, type GitStep } from '../../../agent/pipeline/git-script.js';

const GIT_ENV = { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@lab.invalid', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@lab.invalid', LC_ALL: 'C' };

/** A repository whose one commit message holds `message`. */
async function repository(t: TestContext, message: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-git-script-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await execa('git', ['init', '--quiet', dir], { env: GIT_ENV });
  await execa('git', ['commit', '--quiet', '--allow-empty', '-m', message], { cwd: dir, env: GIT_ENV });
  return dir;
}

async function runSteps(dir: string, steps: readonly GitStep[]) {
  const [file, ...args] = gitScriptCommand(steps);
  const run = await execa(file!, args, { cwd: dir, env: GIT_ENV, encoding: 'buffer', stripFinalNewline: false });
  return parseGitReport(run.stdout, steps.length);
}

test('the arguments are each step\'s kind, its argument count and its arguments, the common options first', () => {
  const steps: GitStep[] = [{ args: ['rev-parse', 'HEAD'], kind: 'required' }, { args: ['am', '--abort'], kind: 'on-failure' }];
  assert.deepEqual(gitScriptArgs(steps, ['-c', 'a=b']), ['required', '4', '-c', 'a=b', 'rev-parse', 'HEAD', 'on-failure', '4', '-c', 'a=b', 'am', '--abort']);
  assert.deepEqual(gitScriptArgs([{ args: [], kind: 'optional' }]), ['optional', '0']);
});

test('a failed required step stops the required and optional steps after it and runs the on-failure ones; a failed optional step does not', async (t) => {
  const dir = await repository(t, 'base');
  const results = await runSteps(dir, [
    { args: ['rev-parse', '--verify', '--quiet', 'no-such-ref'], kind: 'optional' },
    { args: ['rev-parse', '--verify', 'HEAD'], kind: 'required' },
    { args: ['on-failure-only'], kind: 'on-failure' },
    { args: ['no-such-command'], kind: 'required' },
    { args: ['status'], kind: 'optional' },
    { args: ['rev-parse', 'HEAD'], kind: 'required' },
    { args: ['log', '--format=%s'], kind: 'on-failure' },
  ]);
  assert.deepEqual(results.map((result) => [result.index, result.exitCode === 0]), [[0, false], [1, true], [3, false], [6, true]]);
  assert.match(results[1]!.output, /^[0-9a-f]{40}$/, 'the output without its trailing newline');
  assert.match(results[2]!.output, /'no-such-command' is not a git command/, 'standard error is in the output');
  assert.equal(results[3]!.output, 'base');
});

test('output that looks like a report, or is not ASCII, comes back as the step\'s own output, byte for byte', async (t) => {
  const message = 'fix: é€ in names\n\n0 0 3\nabc\n7 0 0\n';
  const dir = await repository(t, message);
  const results = await runSteps(dir, [{ args: ['log', '--format=%B'], kind: 'required' }, { args: ['rev-parse', 'HEAD'], kind: 'required' }]);
  assert.equal(results.length, 2);
  assert.equal(results[0]!.output, message.trimEnd());
  assert.match(results[1]!.output, /^[0-9a-f]{40}$/);
});

test('a report cut short, out of order, naming a step that does not exist or not in the script\'s format is refused', () => {
  const report = (text: string) => new TextEncoder().encode(text);
  assert.deepEqual(parseGitReport(report('0 0 2\nok\n2 1 0\n\n'), 3), [{ index: 0, exitCode: 0, output: 'ok' }, { index: 2, exitCode: 1, output: '' }]);
  assert.deepEqual(parseGitReport(report(''), 3), []);
  for (const [text, problem] of [
    ['0 0 5\nok\n', /cut short in the output of step 0/],
    ['0 0 2\nok', /cut short/],
    ['0 0 2\nokX', /cut short/],
    ['1 0 0\n\n0 0 0\n\n', /names step 0 after step 1/],
    ['3 0 0\n\n', /names step 3 after step -1 of 3/],
    ['0 0 0', /malformed at byte 0/],
    ['0 0 0\n\ngarbage\n', /malformed at byte 7/],
    ['-1 0 0\n\n', /malformed/],
  ] as const) assert.throws(() => parseGitReport(report(text), 3), { code: 'GIT_REPORT_MALFORMED', message: problem }, text);
});
