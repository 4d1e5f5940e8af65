// Where the dashboard's data comes from: the maintainer client's own readers (report, verified
// results, logs, status) over one authenticated connection, opened when first needed and again
// after it closes; and the notifications of the maintainer's embargoes, handed to listeners.
import { darkroom } from '../../proto/darkroom.js';
import type { Logger } from '../../shared/log.js';
import { messageOf } from '../../shared/errors.js';
import { WireError } from '../../shared/wire/errors.js';
import type { Envelope } from '../../shared/wire/frame.js';
import { connectMaintainer, type MaintainerConnection } from '../connection.js';
import type { MaintainerHome } from '../home.js';
import { fetchLogs, type JobLogs } from '../logs.js';
import { reportToJson, type ReportJson } from '../render/report-json.js';
import { loadReport } from '../report.js';
import { fetchVerifiedResults, latestPerJob, trailersOf, type Trailer, type VerifiedResult } from '../trailers.js';
import { fetchBundleStatus, mergeNotes, noteProgress, type StageNotes } from '../watch.js';
import type { BundleData } from './bundle-view.js';

export type NotificationListener = (notification: darkroom.v1.Notification.$Properties) => void;

export class DashboardSource {
  readonly #home: MaintainerHome;
  readonly #logger: Logger;
  #connection: Promise<MaintainerConnection> | null = null;
  readonly #notes = new Map<string, StageNotes>();
  readonly #listeners = new Set<NotificationListener>();
  #closed = false;

  constructor(home: MaintainerHome, options: { logger: Logger }) {
    this.#home = home;
    this.#logger = options.logger;
  }

  /** The maintainer's name, as the coordinator enrolled it. */
  async who(): Promise<string> {
    return (await this.#home.settings()).name;
  }

  /** The open connection, or a new one subscribed to every embargo the maintainer maintains. */
  connection(): Promise<MaintainerConnection> {
    if (this.#closed) return Promise.reject(new WireError('INTERNAL', 'The dashboard is shutting down'));
    this.#connection ??= this.#connect();
    return this.#connection;
  }

  async #connect(): Promise<MaintainerConnection> {
    try {
      const connection = await connectMaintainer(this.#home, { logger: this.#logger });
      connection.channel.handle((envelope: Envelope) => this.#notified(envelope));
      connection.channel.onClose((close) => {
        this.#connection = null;
        if (!this.#closed) this.#logger.info({ code: close.code, reason: close.reason }, 'coordinator connection closed; the next page reconnects');
      });
      const reply = await connection.channel.request({ subscribe: { all: true } });
      if (!reply.subscribed) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a subscription with '${reply.body}'`);
      return connection;
    } catch (error) {
      this.#connection = null;
      throw error;
    }
  }

  #notified(envelope: Envelope): void {
    const notification = envelope.notification;
    if (!notification?.bundleId) return;
    const notes = this.#notes.get(notification.bundleId) ?? new Map();
    noteProgress(notes, notification);
    this.#notes.set(notification.bundleId, notes);
    for (const listener of this.#listeners) {
      try {
        listener(notification);
      } catch (error) {
        this.#logger.error({ err: messageOf(error) }, 'dashboard listener failed');
      }
    }
  }

  /** Calls `listener` for every notification; returns the function that stops it. */
  listen(listener: NotificationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async embargoes(): Promise<darkroom.v1.EmbargoSummary.$Properties[]> {
    const connection = await this.connection();
    const reply = await connection.channel.request({ embargoListRequest: {} });
    if (!reply.embargoList) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered an embargo listing with '${reply.body}'`);
    return reply.embargoList.embargoes ?? [];
  }

  async report(bundleId: string): Promise<ReportJson> {
    const connection = await this.connection();
    return reportToJson(await loadReport(connection, { bundleId, home: this.#home }));
  }

  /** The status snapshot with the stages notified since (as `darkroom watch` shows them). */
  async status(bundleId: string): Promise<darkroom.v1.BundleStatus.$Properties> {
    const connection = await this.connection();
    return mergeNotes(await fetchBundleStatus(connection.channel, bundleId), this.#notes.get(bundleId) ?? new Map());
  }

  async results(bundleId: string): Promise<{ verified: VerifiedResult[]; refused: string[] }> {
    const connection = await this.connection();
    return fetchVerifiedResults(connection, { bundleId, pins: await this.#home.pins() });
  }

  async bundle(bundleId: string): Promise<BundleData> {
    const [report, status, results] = [await this.report(bundleId), await this.status(bundleId), await this.results(bundleId)];
    return { report, status, results: results.verified, refused: results.refused };
  }

  /** The job's latest verified result (or null) and its decrypted logs. */
  async job(bundleId: string, jobId: string): Promise<{ result: VerifiedResult | null; logs: JobLogs[]; embargo: string }> {
    const status = await this.status(bundleId);
    const job = (status.jobs ?? []).find((candidate) => candidate.jobId === jobId);
    if (!job) throw new WireError('NOT_FOUND', `Bundle ${bundleId} has no job '${jobId}': follow a link from the bundle page`);
    const results = await this.results(bundleId);
    const result = latestPerJob(results.verified).find((candidate) => candidate.parts.result.jobId === jobId) ?? null;
    const connection = await this.connection();
    const logs = (await fetchLogs(connection, { bundleId, agent: job.agent ?? '', pins: await this.#home.pins() })).filter((entry) => entry.jobId === jobId);
    return { result, logs, embargo: status.embargo ?? '' };
  }

  async trailers(bundleId: string): Promise<{ trailers: Trailer[]; refused: string[] }> {
    const results = await this.results(bundleId);
    return { trailers: trailersOf(results.verified), refused: results.refused };
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    void this.#connection?.then((connection) => connection.close(), () => undefined);
  }
}
