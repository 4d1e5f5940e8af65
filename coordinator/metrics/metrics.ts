// The coordinator's Prometheus metrics: counters and histograms the server feeds as it works, and
// gauges read from the store and the connection registry at scrape time. Labels carry only
// bounded, non-sensitive values (job states, result statuses, notification channels): never an
// embargo, agent or bundle name.
import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import { STATUS_PRECEDENCE } from '../../shared/status.js';
import { VERSION } from '../../shared/version.js';
import type { Store } from '../store/store.js';
import { storeSizeBytes } from './store-size.js';

/** Seconds; results are acknowledged in milliseconds, fan-outs to many agents take longer. */
export const INGEST_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const FAN_OUT_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** How a notification left the coordinator: pushed on a live maintainer connection, or POSTed. */
export type NotificationChannel = 'live' | 'webhook';

/**
 * What the mailer reports (notify's durable mail queue): mails handed to the SMTP server so far,
 * and mails waiting in the queue now. Read at scrape time, so it can count straight from the store.
 */
export interface MailCounts {
  sentTotal(): number;
  queued(): number;
}

export interface MetricsSources {
  store: Store;
  /** Distinct agents with at least one open connection. */
  agentsConnected(): number;
}

export class CoordinatorMetrics {
  readonly registry = new PromRegistry();
  readonly #ingest: Histogram;
  readonly #fanOut: Histogram;
  readonly #notifications: Counter<'channel'>;
  #mail: MailCounts | null = null;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    const { store } = sources;
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'darkroom_build_info', help: 'Darkroom build: always 1, the version and Node.js in labels', labelNames: ['version', 'node'], registers })
      .set({ version: VERSION, node: process.version }, 1);
    new Gauge({ name: 'darkroom_agents_connected', help: 'Agents with at least one open, authenticated connection', registers, collect() {
      this.set(sources.agentsConnected());
    } });
    new Gauge({ name: 'darkroom_jobs', help: 'Jobs in the store, by lifecycle state', labelNames: ['state'], registers, collect() {
      for (const [state, count] of Object.entries(store.jobs.countsByState())) this.set({ state }, count);
    } });
    new Gauge({ name: 'darkroom_results', help: 'Signed results stored, by rolled-up status', labelNames: ['status'], registers, collect() {
      const counts = store.results.countsByStatus();
      for (const status of STATUS_PRECEDENCE) this.set({ status }, counts[status] ?? 0);
    } });
    new Gauge({ name: 'darkroom_audit_rows', help: 'Rows in the hash-chained audit log', registers, collect() {
      this.set(store.audit.head()?.seq ?? 0);
    } });
    new Gauge({ name: 'darkroom_store_size_bytes', help: 'Bytes on disk of the data directory: the database (with its WAL) and the bundles\' ciphertext', labelNames: ['part'], registers, async collect() {
      const size = await storeSizeBytes(store);
      this.set({ part: 'database' }, size.database);
      this.set({ part: 'bundles' }, size.bundles);
    } });
    const mail = () => this.#mail;
    new Gauge({ name: 'darkroom_mails_queued', help: 'Notification mails waiting in the durable mail queue', registers, collect() {
      this.set(mail()?.queued() ?? 0);
    } });
    new Counter({ name: 'darkroom_mails_sent_total', help: 'Notification mails accepted by the SMTP server', registers, collect() {
      const source = mail();
      if (source) {
        this.reset();
        this.inc(source.sentTotal());
      }
    } });
    this.#notifications = new Counter({ name: 'darkroom_notifications_sent_total', help: 'Notifications sent to maintainers, by channel (live connection or webhook)', labelNames: ['channel'], registers });
    for (const channel of ['live', 'webhook'] satisfies NotificationChannel[]) this.#notifications.inc({ channel }, 0);
    this.#ingest = new Histogram({ name: 'darkroom_ingest_duration_seconds', help: 'Signed result received → stored durably and acknowledged', buckets: INGEST_BUCKETS_SECONDS, registers });
    this.#fanOut = new Histogram({ name: 'darkroom_fan_out_duration_seconds', help: 'Offers planned for a set of agents → recorded durably and pushed to every one of them', buckets: FAN_OUT_BUCKETS_SECONDS, registers });
  }

  /** The mailer's counts (one call when the mail queue is wired in); until then both read 0. */
  setMailCounts(counts: MailCounts): void {
    this.#mail = counts;
  }

  observeIngest(seconds: number): void {
    this.#ingest.observe(seconds);
  }

  observeFanOut(seconds: number): void {
    this.#fanOut.observe(seconds);
  }

  notificationSent(channel: NotificationChannel): void {
    this.#notifications.inc({ channel });
  }

  /** The exposition text, as served on /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
