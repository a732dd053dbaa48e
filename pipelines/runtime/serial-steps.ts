/**
 * The live run's steps, one at a time in arrival order (drive-live.ts). A step that comes while none
 * is running is taken at once, in the callback that brought it (a tick from the feed's socket, the
 * venue's answer): no promise is made unless the step has to wait.
 */

/** A step: returns a promise only when it has to wait (held work to settle). */
export type Step = () => Promise<void> | undefined;

/**
 * `run` takes a step at once when none is running (it returns undefined if the step ended without
 * waiting) and queues it otherwise; a step queued while another runs (an operator's external
 * arrival made inside a step) is taken right after it. A step that throws is handed to `fail`;
 * once `failed()`, queued steps are skipped.
 */
export class SerialSteps {
  private readonly queue: { work: Step; done: () => void }[] = [];
  private running = false;
  private idlers: (() => void)[] = [];

  constructor(
    private readonly fail: (err: unknown) => void,
    private readonly failed: () => boolean,
  ) {}

  run(work: Step): Promise<void> | undefined {
    if (this.running) return new Promise<void>((done) => this.queue.push({ work, done }));
    if (this.failed()) return undefined;
    this.running = true;
    const waiting = this.take(work);
    if (!waiting) {
      this.drain();
      return undefined;
    }
    return waiting.then(() => this.drain());
  }

  /** `run`, always as a promise of the step's end. */
  runAwaited(work: Step): Promise<void> {
    return this.run(work) ?? Promise.resolve();
  }

  /** Resolves once no step runs and none is queued. */
  idle(): Promise<void> {
    return this.running ? new Promise<void>((resolve) => this.idlers.push(resolve)) : Promise.resolve();
  }

  /** Runs `work`; a promise only if it waits, which never rejects (a failure goes to `fail`). */
  private take(work: Step): Promise<void> | undefined {
    let waiting: Promise<void> | undefined;
    try {
      waiting = work();
    } catch (err) {
      this.fail(err);
      return undefined;
    }
    return waiting?.then(undefined, (err: unknown) => this.fail(err));
  }

  /** Takes the queued steps, in order, until none is left or one waits (then again when it ends). */
  private drain(): void {
    for (let item = this.queue.shift(); item; item = this.queue.shift()) {
      const waiting = this.failed() ? undefined : this.take(item.work);
      if (waiting) {
        const { done } = item;
        void waiting.then(() => {
          done();
          this.drain();
        });
        return;
      }
      item.done();
    }
    this.running = false;
    for (const resolve of this.idlers.splice(0)) resolve();
  }
}
