// The text of a notification mail, pure: as little as a webhook says (what happened, the bundle,
// tree, status, when, the command that shows more), the embargo named only if the subscriber asked.
import type { Notice } from '../store/mail-queue.js';

export interface ComposedMail {
  subject: string;
  text: string;
  /** `<token@domain>`: the same for every attempt at this mail, so a resend is recognisable. */
  messageId: string;
}

const WHAT: Record<string, string> = {
  BUNDLE_SUBMITTED: 'A bundle was submitted',
  JOB_FINISHED: 'A job finished',
  BUNDLE_COMPLETE: 'Every job of a bundle has ended',
  BAR_MET: "A bundle met the embargo's quality bar",
  BAR_FAILED: "A bundle failed the embargo's quality bar",
  MAINTAINER_ADDED: 'You were added as a maintainer of an embargo',
  EMBARGO_WITHDRAWN: 'An embargo was withdrawn',
  EMBARGO_DISCLOSED: 'An embargo was disclosed',
};

/** What each kind asks the reader to run next (BUNDLE is replaced by the bundle id). */
const NEXT: Record<string, string> = {
  BUNDLE_SUBMITTED: 'darkroom fetch BUNDLE --out DIR   # the series, if it was sealed to you\ndarkroom watch BUNDLE',
  JOB_FINISHED: 'darkroom report BUNDLE',
  BUNDLE_COMPLETE: 'darkroom report BUNDLE',
  BAR_MET: 'darkroom report BUNDLE',
  BAR_FAILED: 'darkroom report BUNDLE',
  MAINTAINER_ADDED: 'darkroom watch --all',
  EMBARGO_DISCLOSED: 'darkroom export kcidb BUNDLE --origin ORIGIN --out FILE   # per bundle, to publish the results',
};

/** The domain of a From address ("Darkroom <dr@example.org>" gives example.org). */
export function domainOf(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return address.slice(address.lastIndexOf('@') + 1).trim() || 'darkroom.invalid';
}

export function composeMail(mail: { notice: Notice; namesEmbargo: boolean; token: string }, options: { from: string }): ComposedMail {
  const { notice } = mail;
  const kind = String(notice.kind ?? '');
  const what = WHAT[kind] ?? `Notification ${kind}`;
  const embargo = mail.namesEmbargo && notice.embargo ? String(notice.embargo) : '';
  const bundle = notice.bundleId ? String(notice.bundleId) : '';
  const lines = [`${what}${embargo ? ` (embargo ${embargo})` : ''}.`, ''];
  const field = (label: string, value: unknown) => {
    if (value !== undefined && value !== '' && value !== 0) lines.push(`${label.padEnd(15)}${String(value)}`);
  };
  field('embargo', embargo);
  field('bundle', bundle);
  field('tree', notice.tree);
  field('job', notice.jobId);
  field('agent', notice.agent);
  field('hardware class', notice.hardwareClass);
  field('status', notice.status);
  field('at', typeof notice.atMs === 'number' ? new Date(notice.atMs).toISOString() : '');
  const next = NEXT[kind];
  if (next && (bundle || !next.includes('BUNDLE'))) lines.push('', 'Next:', ...next.replaceAll('BUNDLE', bundle).split('\n').map((line) => `  ${line}`));
  lines.push('', 'This mail carries metadata only: no patch, log or test case text.', 'You subscribed with `darkroom subscribe --email`.');
  return {
    subject: `[Darkroom] ${what}${embargo ? `: ${embargo}` : ''}${bundle ? ` (${bundle.slice(0, 12)})` : ''}`,
    text: `${lines.join('\n')}\n`,
    messageId: `<${mail.token}@${domainOf(options.from)}>`,
  };
}
