/**
 * The live clock. Its time is logical, as in the backtest: the ts_known of the record being
 * delivered, or the time of the timer firing, and it never goes back. Timers fire by the backtest's
 * rule (before any record stamped at or after them, in (time, node rank, scheduling order)). The wall
 * clock only decides when due timers are released while no record arrives: when it reaches the
 * earliest timer, `onDue(wall)` asks the live driver to advance to that wall time as a step of its
 * own. That is what lets a capture of the arrivals reproduce a live run exactly.
 *
 * Wall time comes from a {@link TimeSource}, so a test runs the live driver in virtual time.
 */
import type { Micros } from '../../lib/core/time.ts';
import { EventClock } from './event-clock.ts';

/** Where a live run's wall time comes from. */
export interface TimeSource {
  now(): Micros;
  /** Calls `fn` once the time is at or after `at`; returns a function that cancels it. */
  wakeAt(at: Micros, fn: () => void): () => void;
  /** This source's time at a system clock time (a feed's receive stamp); the same time when absent. */
  fromSystem?(system: Micros): Micros;
  /** A scaled time (scaledTime): it read `origin` at base time `system`, and runs `speed` times faster. */
  readonly scale?: { speed: number; origin: Micros; system: Micros };
}

/**
 * The system clock run `speed` times faster, reading `origin` now: a demo or a test replays a trading
 * day in minutes against a venue playing the same day at the same speed (`colo_venue --speed`).
 * Receive stamps taken on the system clock map through `fromSystem`. `start`: the base time at which
 * it reads `origin` (default now; a resumed run keeps the dead run's).
 */
export function scaledTime(speed: number, origin: Micros, base: TimeSource = systemTime, start: Micros = base.now()): TimeSource {
  const fromSystem = (system: Micros): Micros => origin + Math.round((system - start) * speed);
  return {
    now: () => fromSystem(base.now()),
    wakeAt: (at, fn) => base.wakeAt(start + Math.ceil((at - origin) / speed), fn),
    fromSystem,
    scale: { speed, origin, system: start },
  };
}

/** The longest delay Node's setTimeout takes (2^31 − 1 ms, 24.8 days): a longer one fires after 1 ms. */
const MAX_TIMEOUT_MS = 0x7fffffff;

/** The system's wall clock, with Node's timers. */
export const systemTime: TimeSource = {
  now: () => Date.now() * 1000,
  wakeAt(at, fn) {
    let timer: NodeJS.Timeout;
    // A wake further than Node's longest delay (a slow --speed stretches hours into weeks) waits in
    // steps of it, so it does not fire at once.
    const wait = (): void => {
      const ms = Math.max(0, Math.ceil((at - Date.now() * 1000) / 1000));
      timer = ms > MAX_TIMEOUT_MS ? setTimeout(wait, MAX_TIMEOUT_MS) : setTimeout(fn, ms);
    };
    wait();
    return () => clearTimeout(timer);
  },
};

export class WallClock extends EventClock {
  private armedAt = Infinity;
  private cancelWake: (() => void) | undefined;
  private stopped = false;

  /** Called when the wall clock reaches the earliest timer, with the wall time then. */
  onDue: (wall: Micros) => void = () => {};

  /** `start`: the run's time at first (default: the wall time; a warm start's first warm session's open). */
  constructor(
    private readonly time: TimeSource,
    start: Micros = time.now(),
  ) {
    super(start);
  }

  /** The wall clock's time (not the run's: see now()). */
  wallNow(): Micros {
    return this.time.now();
  }

  /** A receive stamp taken on the system clock, as the wall clock's time (they differ at a speed factor). */
  fromSystem(system: Micros): Micros {
    return this.time.fromSystem ? this.time.fromSystem(system) : system;
  }

  override schedule(at: Micros, fn: (at: Micros) => void, rank = 0): void {
    if (this.stopped) return;
    super.schedule(at, fn, rank);
    this.arm();
  }

  override fireNext(t: Micros): boolean {
    const fired = super.fireNext(t);
    this.arm();
    return fired;
  }

  /** No more wake-ups: pending timers stay for the end of the run, new ones are ignored. */
  stop(): void {
    this.stopped = true;
    this.cancelWake?.();
    this.cancelWake = undefined;
    this.armedAt = Infinity;
  }

  protected override get acceptsPast(): boolean {
    return true;
  }

  private arm(): void {
    if (this.stopped) return;
    const at = this.nextTimerAt();
    if (at === this.armedAt) return;
    this.cancelWake?.();
    this.cancelWake = undefined;
    this.armedAt = at;
    if (at === Infinity) return;
    this.cancelWake = this.time.wakeAt(at, () => {
      this.armedAt = Infinity;
      this.cancelWake = undefined;
      this.onDue(Math.max(at, this.time.now()));
    });
  }
}
