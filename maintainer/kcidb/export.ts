// `darkroom export kcidb BUNDLE`: the maintainer's report model of a disclosed bundle (the report,
// the verified results with their sealed details opened, the series fetched and hashed) made into a
// KCIDB document; refused before disclosure.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { DarkroomError } from '../../shared/errors.js';
import type { MaintainerConnection } from '../connection.js';
import { openResult } from '../details.js';
import { fetchBundle } from '../fetch.js';
import type { MaintainerHome } from '../home.js';
import { loadReport } from '../report.js';
import { fetchVerifiedResults, latestPerJob } from '../trailers.js';
import { buildKcidbDocument, ORIGIN_PATTERN, type KcidbDocument } from './document.js';

export type ExportErrorCode = 'EMBARGO_NOT_DISCLOSED' | 'ORIGIN_INVALID';

export class ExportError extends DarkroomError<ExportErrorCode> {}

export interface KcidbExport {
  document: KcidbDocument;
  /** Results left out, one sentence each (unpinned agent, bad signature). */
  refused: string[];
}

export async function exportKcidb(connection: MaintainerConnection, options: { bundleId: string; origin: string; home: MaintainerHome }): Promise<KcidbExport> {
  if (!ORIGIN_PATTERN.test(options.origin)) throw new ExportError('ORIGIN_INVALID', `Origin '${options.origin}' is not a KCIDB origin: use lowercase letters, digits and '_', as KernelCI assigned it (e.g. darkroom_example)`);
  const report = await loadReport(connection, { bundleId: options.bundleId, home: options.home });
  const disclosedAtMs = Number(report.embargoDisclosedAtMs ?? 0);
  if (disclosedAtMs <= 0) {
    throw new ExportError('EMBARGO_NOT_DISCLOSED', `Embargo '${report.embargo}' of bundle ${options.bundleId} is not disclosed: nothing is exported before disclosure (the operator runs 'darkroom coordinator embargo disclose', or it happens at the disclosure date)`);
  }
  const { verified, refused } = await fetchVerifiedResults(connection, { bundleId: options.bundleId, pins: await options.home.pins() });
  const work = await mkdtemp(join(tmpdir(), 'darkroom-export-'));
  try {
    const fetched = await fetchBundle(connection, { bundleId: options.bundleId, out: join(work, 'series'), home: options.home });
    const targets = [];
    for (const tree of fetched.trees) targets.push({ tree: tree.tree, base: tree.base, patches: await Promise.all(tree.patches.map((patch) => readFile(patch))) });
    // Case names and reasons are sealed in each result: opened here, with this home's key.
    const results = [];
    for (const result of latestPerJob(verified)) {
      const opened = await openResult(result, connection.identity);
      results.push({ result: darkroom.v1.Result.create({ ...result.parts.result, stages: opened.stages.map((stage) => darkroom.v1.StageResult.create(stage)) }), signKey: result.parts.result.agentSignKey });
    }
    return { document: buildKcidbDocument({ origin: options.origin, bundleId: options.bundleId, embargo: report.embargo, disclosedAtMs, targets, results }), refused };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
