// The bar's verdict for people: the report's lines, and watch's one line each time it changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barHeadline, renderBar } from '../../../maintainer/render/bar.js';
import { WatchView } from '../../../maintainer/render/watch.js';

const FAILED = {
  verdict: 'failed',
  deadline: '2030-01-25T12:00:00.000Z',
  missing: ['workload:unit: 1 more hardware class'],
  broken: [{ resultId: 'r1', jobId: 'j1', agent: 'lab-a', hardwareClass: 'x86', column: 'workload:unit', case: 'sum', status: 'FAIL', baseStatus: 'PASS', reason: 'regression' }],
  classification: { pass: 4, regression: 1, preExisting: 0, fixed: 1, fixedCases: ['lab-a workload:unit wraps'] },
};

test('a failed verdict names what broke it, what is missing, and the cases against the base', () => {
  assert.deepEqual(renderBar(FAILED), [
    'Quality bar: failed (1 new failure)',
    '  missing workload:unit: 1 more hardware class',
    '  broken by lab-a (x86) workload:unit sum: FAIL, PASS on base [regression] result r1 job j1',
    'Cases against the base: 4 pass, 1 regression, 0 pre-existing, 1 fixed',
    '  fixed: lab-a workload:unit wraps',
    'Bar deadline: 2030-01-25T12:00:00.000Z',
  ]);
  assert.equal(barHeadline({ verdict: 'pending', missing: ['boot: 2 more hardware classes'] }), 'Quality bar: pending (boot: 2 more hardware classes)');
  assert.equal(barHeadline({ verdict: 'met', missing: [] }), 'Quality bar: met');
});

test('watch prints the verdict when it changes, and only then', () => {
  const lines: string[] = [];
  const view = new WatchView({ tty: false, stream: process.stdout, writeLine: (line) => lines.push(line), now: () => 0 });
  const snapshot = (verdict: object) => ({ bundleId: 'b', embargo: 'e', jobs: [], complete: false, barVerdictJson: JSON.stringify(verdict) });
  view.update(snapshot({ verdict: 'pending', missing: ['boot: 1 more hardware class'] }));
  view.update(snapshot({ verdict: 'pending', missing: ['boot: 1 more hardware class'] }));
  view.update(snapshot({ verdict: 'met', missing: [] }));
  view.update({ bundleId: 'b', embargo: 'e', jobs: [], complete: false });
  assert.deepEqual(lines, ['Quality bar: pending (boot: 1 more hardware class)', 'Quality bar: met']);
});
