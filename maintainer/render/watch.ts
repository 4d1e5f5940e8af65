// The live view of `darkroom watch BUNDLE`: progress bars on a terminal, plain lines otherwise.
import { MultiBar, type SingleBar } from 'cli-progress';
import type { darkroom } from '../../proto/darkroom.js';
import { barHeadline } from './bar.js';
import { WatchModel, formatEvent, formatLabel, type JobProgress, type WatchEvent } from './watch-model.js';

/** One bar per job: who, how far, and the stage it is in. */
const BAR_FORMAT = '{label} [{bar}] {value}/{total} {stage}';
const BAR_SIZE = 24;
/** Minimum time between redraws of the bars. */
const BAR_REDRAW_MS = 100;

export interface WatchViewOptions {
  /** Progress bars when true; plain lines through `writeLine` otherwise. */
  tty: boolean;
  /** Where the bars are drawn (a TTY). */
  stream: NodeJS.WritableStream;
  /** Prints one plain line for people (cli/output.ts `say`). */
  writeLine: (line: string) => void;
  /** The clock stage durations are measured with. */
  now?: () => number;
}

/** Events worth a line above the bars on a terminal; the bars show the rest. */
function isMilestone(event: WatchEvent): boolean {
  return event.kind === 'job-finished' || event.kind === 'bundle-complete' || (event.kind === 'stage-finished' && event.status !== 'PASS' && event.status !== 'SKIP');
}

function payload(progress: JobProgress): { label: string; stage: string } {
  const where = progress.status ?? (progress.stage ? `${progress.stage} (${progress.state})` : progress.state);
  return { label: formatLabel(progress.job), stage: where };
}

export class WatchView {
  #model = new WatchModel();
  #options: WatchViewOptions;
  #now: () => number;
  #multibar: MultiBar | null = null;
  #bars = new Map<string, SingleBar>();
  #barHeadline: string | null = null;

  constructor(options: WatchViewOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** True once a snapshot said every job has ended. */
  get complete(): boolean {
    return this.#model.complete;
  }

  /** Applies a whole BundleStatus snapshot. */
  update(snapshot: darkroom.v1.BundleStatus.$Properties): void {
    this.#show(this.#model.applyStatus(snapshot, this.#now()));
    this.#showBar(snapshot.barVerdictJson);
  }

  /** A line whenever the quality bar's verdict (or what it is missing) changes. */
  #showBar(verdictJson: string | null | undefined): void {
    if (!verdictJson) return;
    const headline = barHeadline(JSON.parse(verdictJson) as unknown);
    if (headline === this.#barHeadline) return;
    this.#barHeadline = headline;
    if (this.#multibar) this.#multibar.log(`${headline}\n`);
    else this.#options.writeLine(headline);
  }

  /** Applies an update of one job. */
  updateJob(view: darkroom.v1.JobView.$Properties): void {
    this.#show(this.#model.applyJob(view, this.#now()));
  }

  /** Draws the bars one last time and leaves the terminal as it was. */
  stop(): void {
    this.#multibar?.stop();
    this.#multibar = null;
  }

  #show(events: WatchEvent[]): void {
    if (!this.#options.tty) {
      for (const event of events) this.#options.writeLine(formatEvent(event));
      return;
    }
    const multibar = this.#bar();
    for (const progress of this.#model.progress()) {
      const total = Math.max(progress.total, 1);
      const bar = this.#bars.get(progress.job.jobId) ?? multibar.create(total, 0, payload(progress));
      this.#bars.set(progress.job.jobId, bar);
      bar.setTotal(total);
      bar.update(progress.done, payload(progress));
    }
    const milestones = events.filter(isMilestone);
    for (const event of milestones) multibar.log(`${formatEvent(event)}\n`);
    if (milestones.length > 0) multibar.update();
  }

  #bar(): MultiBar {
    this.#multibar ??= new MultiBar({
      stream: this.#options.stream,
      format: BAR_FORMAT,
      barsize: BAR_SIZE,
      fps: 1000 / BAR_REDRAW_MS,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
    });
    return this.#multibar;
  }
}
