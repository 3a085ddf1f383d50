/**
 * A first-in, first-out async mutex: `run` calls wait for every earlier call to settle, then run
 * one at a time. The SQLite unit of work holds it for a whole `write`, so the single writer
 * connection only ever carries one transaction.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    return previous.then(task).finally(release);
  }
}
