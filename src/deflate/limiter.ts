/**
 * Bounds how many asynchronous zlib jobs run at once across the process. Each job occupies a
 * libuv thread-pool thread and its buffers; without a bound, a flood of large compressed
 * messages on many connections would queue unbounded work and memory there (the reason `ws`
 * has its own limiter). Jobs start in the order they were submitted.
 */
export class Limiter {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly concurrency: number) {}

  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.running++;
        // A job that throws before returning its promise must still free its slot.
        Promise.resolve()
          .then(job)
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.queue.shift()?.();
          });
      };
      if (this.running < this.concurrency) start();
      else this.queue.push(start);
    });
  }
}

/** The process-wide bound: as many jobs as libuv has threads by default, plus headroom for queueing. */
export const zlibJobs = new Limiter(10);
