/**
 * Runs a group of sync runs so that every removal of the group is sent before any addition: the
 * syncs of one priority list, whose audiences must never share a person (`sync run --all`). A
 * person moving from one segment of the list to another leaves the first audience before entering
 * the second.
 *
 * Runs take turns (one at a time, in the order they asked): each runs up to its first add
 * (`RunHooks.beforeAdds`), then waits until every run of the group has got that far or ended; then
 * the runs send their adds, again one at a time. A run that ends early (nothing to add, stopped,
 * failed) counts as arrived.
 *
 * @example
 * const group = new RemovesFirst(2);
 * await Promise.all(['a', 'b'].map((id) => group.run((beforeAdds) => orchestrateSyncRun(steps, { syncId: id, asOf }, { beforeAdds }))));
 */
export class RemovesFirst {
  #tail: Promise<void> = Promise.resolve();
  #pending: number;
  #releaseAll!: () => void;
  readonly #all = new Promise<void>((resolve) => (this.#releaseAll = resolve));

  constructor(size: number) {
    this.#pending = size;
    if (size <= 0) this.#releaseAll();
  }

  /** Runs one member of the group; `fn` gets the hook to await before its adds. */
  async run<T>(fn: (beforeAdds: () => Promise<void>) => Promise<T>): Promise<T> {
    let release = await this.#turn();
    let arrived = false;
    const beforeAdds = async (): Promise<void> => {
      if (arrived) return;
      arrived = true;
      release();
      this.#arrive();
      await this.#all;
      release = await this.#turn();
    };
    try {
      return await fn(beforeAdds);
    } finally {
      if (!arrived) {
        arrived = true;
        this.#arrive();
      }
      release();
    }
  }

  #arrive(): void {
    if (--this.#pending === 0) this.#releaseAll();
  }

  /** Waits for the turn; resolves with the function that passes it on. */
  async #turn(): Promise<() => void> {
    let release!: () => void;
    const previous = this.#tail;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }
}
