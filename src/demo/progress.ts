import cliProgress from 'cli-progress';

/** A progress display over numbered steps; the silent one is used when output is not a terminal. */
export interface StepProgress {
  /** Marks `done` of `total` steps finished and names the one running now. */
  update(done: number, total: number, label: string): void;
  stop(): void;
}

/**
 * A one-line bar on stderr when `enabled` (an interactive terminal outside CI), otherwise a no-op,
 * so piped output and CI logs carry results only.
 */
export function stepProgress(enabled: boolean, title: string): StepProgress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${title} [{bar}] {value}/{total} {label} ({duration_formatted})`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label) {
      if (!started) {
        bar.start(total, done, { label });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { label });
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
