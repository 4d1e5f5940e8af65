// Which git steps each use of a job's private clone runs, from what the clone holds now: no step
// that has nothing to do, since every step is a process (and the job's git steps share one
// sandbox). Pure: the steps are run by git-tree.ts through git-script.ts.
import type { GitStep } from './git-script.js';

/** What the agent saw of the clone before the steps (in its own workspace, outside the sandbox). */
export interface CloneState {
  /** The clone exists (its .git is there). */
  present: boolean;
  /** A `git am` was left stopped in it (.git/rebase-apply is there): a job ended mid-apply. */
  amInProgress: boolean;
}

/** Where the steps that lead to the base are, in a plan. */
export interface CheckoutPlan {
  steps: GitStep[];
  /** The index of the rev-parse of the base: its failure means the base is missing. */
  revParse: number;
  /** How many steps lead to the base; what follows (the patches) comes after them. */
  checkoutSteps: number;
}

const FULL_COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * A full commit id needs no fetch: the clone borrows the tester's objects (`--shared`), so every
 * commit of the tester's tree is already there. A name (branch, tag, short id) may have moved.
 */
export const isFullCommitId = (base: string): boolean => FULL_COMMIT_ID.test(base);

/** Makes the clone on first use; later, fetches what the tester's tree gained, when `base` may need it. */
export function updateSteps(source: string, state: CloneState, base: string): GitStep[] {
  if (!state.present) return [{ args: ['clone', '--quiet', '--shared', '--no-checkout', source, '.'], kind: 'required' }];
  if (isFullCommitId(base)) return [];
  return [{ args: ['fetch', '--quiet', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'], kind: 'required' }];
}

const abortAm = (state: CloneState, kind: GitStep['kind']): GitStep[] => (state.amInProgress ? [{ args: ['am', '--abort'], kind }] : []);

/** The clone up to date and detached at `base`, with whatever a job that crashed left undone. */
export function checkoutPlan(source: string, state: CloneState, base: string): CheckoutPlan {
  const update = updateSteps(source, state, base);
  const steps: GitStep[] = [
    ...update,
    { args: ['rev-parse', '--verify', '--quiet', `${base}^{commit}`], kind: 'required' },
    ...abortAm(state, 'optional'),
    { args: ['checkout', '--quiet', '--force', '--detach', `${base}^{commit}`], kind: 'required' },
    { args: ['clean', '-fdxq'], kind: 'required' },
  ];
  return { steps, revParse: update.length, checkoutSteps: steps.length };
}

/** checkoutPlan, then `git am` of each patch in order, stopped at the first that does not apply and aborted. */
export function applyPlan(source: string, state: CloneState, base: string, patches: readonly string[]): CheckoutPlan {
  const plan = checkoutPlan(source, state, base);
  plan.steps.push(
    ...patches.map((patch): GitStep => ({ args: ['am', '--quiet', '--3way', '--keep-cr', patch], kind: 'required' })),
    { args: ['am', '--abort'], kind: 'on-failure' },
  );
  return plan;
}

/** The checkout back at `base` and every object the series created dropped; each step runs whatever the one before did. */
export function resetSteps(state: CloneState, base: string): GitStep[] {
  return [
    ...abortAm(state, 'optional'),
    { args: ['checkout', '--quiet', '--force', '--detach', base], kind: 'optional' },
    { args: ['clean', '-fdxq'], kind: 'optional' },
    { args: ['reflog', 'expire', '--expire=now', '--all'], kind: 'optional' },
    { args: ['gc', '--quiet', '--prune=now'], kind: 'optional' },
  ];
}
