/**
 * Runs tasks with at most `limit` in flight: `start` waits for a free slot, then answers at once
 * with the task's completion (wrapped: a promise of a promise would be flattened), so a producer can keep starting work across pages. The first
 * failure is kept (`failure`) and later tasks still run to their end; `drain` waits for all.
 */
export class BoundedSlots {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  failure: unknown;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  async start(task: () => Promise<void>): Promise<{ done: Promise<void> }> {
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
    const done: Promise<void> = task()
      .catch((error) => {
        this.failure ??= error;
      })
      .finally(() => this.#running.delete(done));
    this.#running.add(done);
    return { done };
  }

  async drain(): Promise<void> {
    await Promise.all(this.#running);
  }
}
