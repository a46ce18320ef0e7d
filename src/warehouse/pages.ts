import type { WarehouseDriver } from './driver';

/** Groups a stream of rows into pages of at most `pageSize`. */
export async function* inPages<T>(rows: AsyncIterable<T>, pageSize: number): AsyncIterable<T[]> {
  let page: T[] = [];
  for await (const row of rows) {
    page.push(row);
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/** Regroups a stream of row batches (e.g. an engine's result chunks) into pages of at most `pageSize`. */
export async function* rechunk<T>(batches: AsyncIterable<readonly T[]>, pageSize: number): AsyncIterable<T[]> {
  let page: T[] = [];
  for await (const batch of batches) {
    for (const row of batch) {
      page.push(row);
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
  }
  if (page.length > 0) yield page;
}

/** Every row of a paged stream, for results known to be small. */
export async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for await (const page of pages) rows.push(...page);
  return rows;
}

/**
 * BEGIN / COMMIT / ROLLBACK on a driver whose statements all run on one session. Nested calls
 * join the open transaction.
 */
export class SessionTransactions {
  #open = false;

  constructor(readonly statements: { begin: string; commit: string; rollback: string } = { begin: 'BEGIN', commit: 'COMMIT', rollback: 'ROLLBACK' }) {}

  async run<T>(driver: WarehouseDriver, fn: (tx: WarehouseDriver) => Promise<T>): Promise<T> {
    if (this.#open) return fn(driver);
    await driver.execute(this.statements.begin);
    this.#open = true;
    try {
      const out = await fn(driver);
      await driver.execute(this.statements.commit);
      return out;
    } catch (err) {
      await driver.execute(this.statements.rollback).catch(() => undefined);
      throw err;
    } finally {
      this.#open = false;
    }
  }
}
