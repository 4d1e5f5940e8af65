// A bundle's verified results as a KCIDB I/O document (schema 5.3), pure: one checkout per target
// tree (base commit, patchset hash), one build per job (architecture, status), one test per stage
// and case (`boot`, dotted sanitised workload and case paths), the hardware class as
// environment.misc.platform, and the lab by its published name or a stable anonymous one.
import { createHash } from 'node:crypto';
import type { darkroom } from '../../proto/darkroom.js';
import { statusFromProto, type Status } from '../../shared/status.js';

export const KCIDB_VERSION = { major: 5, minor: 3 } as const;
/** What KCIDB allows as an origin: the CI system's name. */
export const ORIGIN_PATTERN = /^[a-z0-9_]+$/;
const ANONYMOUS_LAB_LABEL = 'darkroom/v1/kcidb-lab\0';
const ANONYMOUS_LAB_HEX = 16;

export interface KcidbTarget {
  tree: string;
  /** As the submitter named it: a full commit id, or a name such as a tag. */
  base: string;
  /** The patch files' bytes, in order of application. */
  patches: readonly Uint8Array[];
}

export interface KcidbResult {
  result: darkroom.v1.Result;
  /** The agent's signing key the result was verified against (the anonymous lab name derives from it). */
  signKey: Uint8Array;
}

export interface KcidbInput {
  origin: string;
  bundleId: string;
  embargo: string;
  disclosedAtMs: number;
  targets: readonly KcidbTarget[];
  /** The newest verified result of each job. */
  results: readonly KcidbResult[];
}

type Json = string | number | boolean | Json[] | { [key: string]: Json };
export type KcidbObject = { [key: string]: Json };

export interface KcidbDocument {
  version: { major: number; minor: number };
  checkouts: KcidbObject[];
  builds: KcidbObject[];
  tests: KcidbObject[];
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** KCIDB's patchset hash: sha256 over each patch's sha256 hex, newline-terminated, in order; '' for none. */
export function patchsetHash(patches: readonly Uint8Array[]): string {
  if (patches.length === 0) return '';
  return sha256(patches.map((patch) => `${sha256(patch)}\n`).join(''));
}

/** One path segment as KCIDB allows it ([a-zA-Z0-9_-]); null when nothing is left. */
export function pathSegment(text: string): string | null {
  const cleaned = text.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return cleaned === '' ? null : cleaned;
}

/** A dotted test path from a case name ("net/tcp: fast open" → "net.tcp_fast_open"). */
export function dottedPath(name: string): string {
  return name.split(/[./]+/).map(pathSegment).filter((segment): segment is string => segment !== null).join('.');
}

/** The lab as published: the name its tester signed into the result, or a stable anonymous one. */
export function labName(result: darkroom.v1.Result, signKey: Uint8Array): string {
  if (result.publicLab) return result.publicLab;
  return `anonymous-${createHash('sha256').update(ANONYMOUS_LAB_LABEL).update(signKey).digest('hex').slice(0, ANONYMOUS_LAB_HEX)}`;
}

/** An int64 as protobufjs decodes it: a number, or a Long object that converts to one. */
type Int64 = number | { toNumber(): number };
const iso = (ms: Int64 | null | undefined) => new Date(Number(ms ?? 0)).toISOString();
const seconds = (ms: Int64 | null | undefined) => Number(ms ?? 0) / 1000;
const statusOf = (value: number | null | undefined): Status | null => (value ? statusFromProto(value) : null);

function checkoutId(input: KcidbInput, tree: string): string {
  return `${input.origin}:${input.bundleId}.${tree}`;
}

function checkoutOf(input: KcidbInput, target: KcidbTarget): KcidbObject {
  const applies = input.results.filter((r) => r.result.tree === target.tree).map((r) => statusOf(r.result.stages.find((stage) => stage.name === 'apply')?.status));
  const known = applies.filter((status): status is Status => status !== null);
  const checkout: KcidbObject = {
    id: checkoutId(input, target.tree),
    origin: input.origin,
    tree_name: target.tree,
    patchset_hash: patchsetHash(target.patches),
    comment: `Darkroom bundle ${input.bundleId} (${input.embargo}), tested under embargo`,
    misc: { darkroom_bundle: input.bundleId, embargo: input.embargo, disclosed_at: iso(input.disclosedAtMs) },
  };
  if (/^[0-9a-f]{40}$/.test(target.base)) checkout.git_commit_hash = target.base;
  else checkout.git_commit_name = target.base;
  if (known.length > 0) checkout.valid = known.every((status) => status === 'PASS');
  return checkout;
}

function buildOf(input: KcidbInput, { result, signKey }: KcidbResult): KcidbObject {
  const build = result.stages.find((stage) => stage.name === 'build');
  const object: KcidbObject = {
    id: `${input.origin}:${result.jobId}`,
    origin: input.origin,
    checkout_id: checkoutId(input, result.tree),
    architecture: (result.profile?.arch ?? '').toLowerCase().replace(/[^a-z0-9_]/g, '_'),
    start_time: iso(result.startedAtMs),
    misc: { lab: labName(result, signKey), platform: result.hardwareClass, darkroom_job: result.jobId, attempt: result.attempt },
  };
  const status = statusOf(build?.status);
  if (status) object.status = status;
  if (build?.durationMs) object.duration = seconds(build.durationMs);
  return object;
}

/** The test path of a stage: `boot`, a workload's sanitised name; apply and build are not tests. */
function stagePath(name: string): string | null {
  if (name === 'boot') return 'boot';
  if (name.startsWith('workload:')) return pathSegment(name.slice('workload:'.length));
  return null;
}

function testsOf(input: KcidbInput, { result, signKey }: KcidbResult): KcidbObject[] {
  const environment = { misc: { platform: result.hardwareClass, lab: labName(result, signKey) } };
  const used = new Set<string>();
  const tests: KcidbObject[] = [];
  const add = (path: string, fields: { status: Status | null; durationMs?: Int64 | null; baseStatus?: string | null }) => {
    let unique = path;
    for (let n = 2; used.has(unique); n++) unique = `${path}_${n}`;
    used.add(unique);
    const test: KcidbObject = { id: `${input.origin}:${result.jobId}.${unique}`, origin: input.origin, build_id: `${input.origin}:${result.jobId}`, path: unique, start_time: iso(result.startedAtMs), environment };
    if (fields.status) test.status = fields.status;
    if (fields.durationMs) test.duration = seconds(fields.durationMs);
    if (fields.baseStatus) test.misc = { base_status: fields.baseStatus };
    tests.push(test);
  };
  for (const stage of result.stages) {
    const path = stagePath(stage.name ?? '');
    if (path === null) continue;
    add(path, { status: statusOf(stage.status), durationMs: stage.durationMs, baseStatus: stage.baseStatus });
    for (const testCase of stage.cases ?? []) {
      const casePath = dottedPath(testCase.name ?? '');
      if (casePath) add(`${path}.${casePath}`, { status: statusOf(testCase.status), durationMs: testCase.durationMs, baseStatus: testCase.baseStatus });
    }
  }
  return tests;
}

export function buildKcidbDocument(input: KcidbInput): KcidbDocument {
  return {
    version: { ...KCIDB_VERSION },
    checkouts: input.targets.map((target) => checkoutOf(input, target)),
    builds: input.results.map((result) => buildOf(input, result)),
    tests: input.results.flatMap((result) => testsOf(input, result)),
  };
}
