// The quality-bar file: the example is valid; every mistake is named with its line and key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BarError, barFromJson, barToJson, describeBar, parseBar } from '../../../coordinator/bar/format.js';
import { REPO_ROOT } from '../../support/paths.js';

const NOW = Date.parse('2030-01-01T00:00Z');
const UNTIL = Date.parse('2030-02-01T00:00Z');
const context = { file: 'bar.yaml', now: NOW, untilMs: UNTIL };

function problems(text: string): readonly string[] {
  try {
    parseBar(text, context);
  } catch (error) {
    assert.ok(error instanceof BarError, String(error));
    assert.equal(error.code, 'BAR_INVALID');
    return error.problems;
  }
  assert.fail('the bar was accepted');
}

test('examples/quality-bar.yaml parses to the bar it describes, and survives storage', () => {
  const bar = parseBar(readFileSync(join(REPO_ROOT, 'examples', 'quality-bar.yaml'), 'utf8'), context);
  assert.deepEqual(bar, {
    format: 1,
    buildClasses: 3,
    bootClasses: 2,
    workloads: [{ name: 'unit', unit: 'classes', need: 2 }, { name: 'stress', unit: 'agents', need: 2 }],
    noNewFailures: true,
    deadlineMs: null,
  });
  assert.deepEqual(barFromJson(barToJson(bar), 'e'), bar);
  assert.equal(describeBar(bar), 'build>=3 classes, boot>=2 classes, unit>=2 classes, stress>=2 agents, no new failures');
});

test('a bar for labs that only build asks for build alone; a bar stored before build existed asks for none', () => {
  const bar = parseBar('build: {classes: 2}\n', context);
  assert.deepEqual([bar.buildClasses, bar.bootClasses], [2, null]);
  assert.equal(describeBar(bar), 'build>=2 classes');
  assert.deepEqual(problems('build:\n  classes: 0\n'), ['bar.yaml:2: build.classes: expected a whole number from 1 to 1000, got 0']);
  const older = barFromJson('{"format":1,"bootClasses":2,"workloads":[],"noNewFailures":false,"deadlineMs":null}', 'cve-1');
  assert.equal(older.buildClasses, null);
});

test('a deadline is read as ISO 8601, a bare date at midnight UTC', () => {
  assert.equal(parseBar('no_new_failures: true\ndeadline: 2030-01-25\n', context).deadlineMs, Date.parse('2030-01-25T00:00Z'));
  assert.equal(parseBar('boot: {classes: 1}\ndeadline: 2030-01-25T12:00Z\n', context).deadlineMs, Date.parse('2030-01-25T12:00Z'));
});

test('unknown keys, wrong types and bad counts are named with file, line and key', () => {
  assert.deepEqual(problems('boot:\n  classes: 2\nworkloads:\n  unit: {clases: 2}\nno_new_failure: true\n'), [
    'bar.yaml:4: workloads.unit.clases: unknown key: check its spelling and indentation (see examples/quality-bar.yaml)',
    'bar.yaml:4: workloads.unit: give exactly one of classes or agents',
    'bar.yaml:5: no_new_failure: unknown key: check its spelling and indentation (see examples/quality-bar.yaml)',
  ]);
  assert.deepEqual(problems('boot:\n  classes: 0\n'), ['bar.yaml:2: boot.classes: expected a whole number from 1 to 1000, got 0']);
  assert.deepEqual(problems('boot:\n  classes: two\n'), ['bar.yaml:2: boot.classes: expected a whole number from 1 to 1000, got "two"']);
  assert.deepEqual(problems('no_new_failures: yes\n'), ['bar.yaml:1: no_new_failures: expected true or false, got "yes"']);
});

test('a workload names exactly one of classes or agents', () => {
  assert.deepEqual(problems('workloads:\n  unit: {classes: 2, agents: 3}\n'), ['bar.yaml:2: workloads.unit: give exactly one of classes or agents']);
  assert.deepEqual(problems('workloads:\n  unit: {}\n'), ['bar.yaml:2: workloads.unit: give exactly one of classes or agents']);
});

test('deadlines that are not dates, already past or after the disclosure date are refused', () => {
  assert.deepEqual(problems('no_new_failures: true\ndeadline: soon\n'), ['bar.yaml:2: deadline: expected an ISO 8601 date like 2030-01-25 or 2030-01-25T12:00Z, got "soon"']);
  assert.match(problems('no_new_failures: true\ndeadline: 2029-12-31\n')[0]!, /^bar\.yaml:2: deadline: 2029-12-31 is not in the future/);
  assert.match(problems('no_new_failures: true\ndeadline: 2030-03-01\n')[0]!, /^bar\.yaml:2: deadline: 2030-03-01 is after the embargo's disclosure date 2030-02-01T00:00:00\.000Z/);
});

test('a bar that asks for nothing, YAML that does not parse and a damaged stored bar are refused', () => {
  assert.deepEqual(problems('deadline: 2030-01-25\n'), ['bar.yaml:1: (file): the bar asks for nothing: give build, boot, workloads or no_new_failures']);
  assert.match(problems('boot: [classes: 2\n')[0]!, /^bar\.yaml:\d+: \(yaml\): /);
  assert.throws(() => barFromJson('{"format":9}', 'cve-1'), (error: unknown) => error instanceof BarError && error.code === 'BAR_STORED_MALFORMED' && /embargo 'cve-1'/.test(error.message));
});
