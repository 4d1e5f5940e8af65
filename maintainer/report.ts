// `darkroom report`: a bundle's report as the maintainer reads it. The coordinator's report holds
// counts and failing stages only; the case names come from the results' sealed details opened
// here, and the recipients are checked against this home's record of whom it sealed the bundle to.
import { darkroom } from '../proto/darkroom.js';
import { WireError } from '../shared/wire/errors.js';
import { nameBarVerdict, nameFailures } from './case-names.js';
import type { MaintainerConnection } from './connection.js';
import { fetchResultDetails, resultOf, type BundleDetails } from './details.js';
import { HomeError, type BundleRecord, type MaintainerHome } from './home.js';
import { checkRecipients } from './missing-results.js';

/** This home's record of a bundle it submitted; null when another maintainer submitted it. */
export async function bundleRecordOf(home: MaintainerHome, bundleId: string): Promise<BundleRecord | null> {
  return home.bundle(bundleId).catch((error: unknown) => {
    if (error instanceof HomeError && error.code === 'BUNDLE_UNKNOWN') return null;
    throw error;
  });
}

/** The bar verdict JSON with case names, or as the coordinator sent it when it does not parse (reportToJson says so). */
function namedBarJson(text: string, details: BundleDetails): string {
  if (!text) return text;
  let verdict: unknown;
  try {
    verdict = JSON.parse(text) as unknown;
  } catch {
    return text;
  }
  return JSON.stringify(nameBarVerdict(verdict, details.results));
}

/**
 * The coordinator's report completed with what only this home can read or check: failing cases and
 * the bar's broken and fixed cases named from the sealed details, the recipients without a
 * verified result, and the results not counted. Pure.
 */
export function completeReport(report: darkroom.v1.Report, details: BundleDetails, record: BundleRecord | null): darkroom.v1.Report {
  const check = checkRecipients(record, details.results.map((opened) => opened.verified));
  return darkroom.v1.Report.create({
    ...report,
    failures: nameFailures(report.failures, (jobId, attempt) => resultOf(details, jobId, attempt), report.columns).map((failure) => darkroom.v1.FailingCase.create(failure)),
    barVerdictJson: namedBarJson(report.barVerdictJson, details),
    recipientsChecked: check.checked,
    recipientsWithoutResult: check.withoutResult,
    refusedResults: details.refused,
  });
}

/**
 * The report of one bundle, as `report`, `report --json` and every other reader of results show
 * it. The single place the maintainer client builds it, so what it is made of stays in one module.
 */
export async function loadReport(connection: MaintainerConnection, options: { bundleId: string; home: MaintainerHome }): Promise<darkroom.v1.Report> {
  const reply = await connection.channel.request({ reportRequest: { bundleId: options.bundleId } });
  if (!reply.report) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a report request with '${reply.body}'`);
  const details = await fetchResultDetails(connection, { bundleId: options.bundleId, pins: await options.home.pins() });
  return completeReport(reply.report as darkroom.v1.Report, details, await bundleRecordOf(options.home, options.bundleId));
}
