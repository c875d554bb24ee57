/**
 * A small step runner: each named step is timed and announced; long steps report progress —
 * a cli-progress bar with ETA on a TTY, plain lines otherwise. Step timings go to the tracker
 * as `time_<step>_s` metrics.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** `done` of `total` units finished; `detail` is shown after the bar (or in the line). */
  update(done: number, total: number, detail?: string): void;
}

export interface RunnerOptions {
  /** Progress and step lines (no newline). Default: nothing. */
  out?: (line: string) => void;
  /** Draw a progress bar on this stream (a TTY) instead of plain progress lines. */
  tty?: NodeJS.WriteStream | null;
}

export interface StepTiming {
  name: string;
  seconds: number;
}

export class Runner {
  readonly timings: StepTiming[] = [];
  private readonly out: (line: string) => void;
  private readonly tty: NodeJS.WriteStream | null;
  private readonly t0 = performance.now();

  constructor(options: RunnerOptions = {}) {
    this.out = options.out ?? (() => undefined);
    this.tty = options.tty ?? null;
  }

  /** A line stamped with the seconds since the runner started. */
  say(line: string): void {
    this.out(`[${((performance.now() - this.t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
  }

  /** Run one named step, timing it; `fn` may report progress. */
  async step<T>(name: string, fn: (progress: Progress) => Promise<T> | T): Promise<T> {
    const t = performance.now();
    let bar: cliProgress.SingleBar | null = null;
    let lastLine = -1;
    const progress: Progress = {
      update: (done, total, detail = '') => {
        if (this.tty) {
          if (!bar) {
            bar = new cliProgress.SingleBar(
              {
                stream: this.tty,
                format: `${name.padEnd(14)} [{bar}] {value}/{total} | ETA {eta_formatted} | {detail}`,
                hideCursor: true,
                clearOnComplete: true,
                etaBuffer: 20,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(total, 0, { detail });
          }
          bar.update(done, { detail });
          return;
        }
        // plain lines: about every 10% and the last one
        const decile = Math.floor((10 * done) / Math.max(1, total));
        if (decile !== lastLine || done === total) {
          lastLine = decile;
          const elapsed = (performance.now() - t) / 1000;
          const eta = done > 0 ? (elapsed / done) * (total - done) : Number.NaN;
          this.say(
            `${name}: ${done}/${total}${Number.isFinite(eta) && done < total ? `, ETA ${eta.toFixed(0)} s` : ''}${detail ? ` — ${detail}` : ''}`,
          );
        }
      },
    };
    let ok = false;
    try {
      const result = await fn(progress);
      ok = true;
      return result;
    } finally {
      (bar as cliProgress.SingleBar | null)?.stop();
      const seconds = (performance.now() - t) / 1000;
      this.timings.push({ name, seconds });
      this.say(`${name}: ${ok ? 'done in' : 'failed after'} ${seconds.toFixed(1)} s`);
    }
  }

  /** `time_<step>_s` per step (steps run twice are summed). */
  timingMetrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.timings) {
      const key = `time_${t.name.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_s`;
      out[key] = (out[key] ?? 0) + t.seconds;
    }
    return out;
  }
}
