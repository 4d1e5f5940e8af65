// `darkroom report`: a bundle's report as the maintainer reads it, fetched through the home's channel.
import type { darkroom } from '../proto/darkroom.js';
import { WireError } from '../shared/wire/errors.js';
import type { MaintainerConnection } from './connection.js';
import type { MaintainerHome } from './home.js';

/**
 * The report of one bundle, as `report`, `report --json` and every other reader of results show
 * it. The single place the maintainer client builds it, so what it is made of stays in one module.
 */
export async function loadReport(connection: MaintainerConnection, options: { bundleId: string; home: MaintainerHome }): Promise<darkroom.v1.Report> {
  const reply = await connection.channel.request({ reportRequest: { bundleId: options.bundleId } });
  if (!reply.report) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a report request with '${reply.body}'`);
  return reply.report as darkroom.v1.Report;
}
