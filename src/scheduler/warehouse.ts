import type { WarehouseConfig } from '../config/schema';
import { openWarehouse } from '../warehouse';
import type { WarehouseDriver } from '../warehouse/driver';

/**
 * The warehouse of a long-running server (`outflow serve`): one connection for jobs (sync runs
 * and refreshes, one at a time, so no two transactions share a session) and one for the API's
 * reads (estimates, previews, fields), which never wait for a job to finish.
 *
 * @example
 * const wh = await ServerWarehouse.open(workspace.warehouse, dir);
 * await wh.job((w) => refreshWithDependencies({ warehouse: w, workspace }, 'vips', new Date()));
 * const [row] = await wh.reads.query('select 1 as n');
 */
export class ServerWarehouse {
  readonly reads: WarehouseDriver;
  readonly #jobs: WarehouseDriver;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;

  private constructor(jobs: WarehouseDriver, reads: WarehouseDriver) {
    this.#jobs = jobs;
    this.reads = reads;
  }

  static async open(config: WarehouseConfig, baseDir: string): Promise<ServerWarehouse> {
    const jobs = await openWarehouse(config, baseDir);
    try {
      return new ServerWarehouse(jobs, jobs.session ? await jobs.session() : jobs);
    } catch (err) {
      await jobs.close();
      throw err;
    }
  }

  /** Runs `fn` on the jobs connection after every job queued before it. */
  job<T>(fn: (warehouse: WarehouseDriver) => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#queue.then(() => fn(this.#jobs));
    this.#queue = run.then(
      () => this.#pending--,
      () => this.#pending--,
    );
    return run;
  }

  /** Jobs queued or running. */
  get pendingJobs(): number {
    return this.#pending;
  }

  /** Resolves when every job queued so far has finished. */
  async idle(): Promise<void> {
    while (this.#pending > 0) await this.#queue;
  }

  /** Closes both connections once the jobs are done, or after `graceMs` (a run cut short resumes at the next start). */
  async close(graceMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    if (this.reads !== this.#jobs) await this.reads.close();
    await this.#jobs.close();
  }
}
