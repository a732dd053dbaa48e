/** The system wall clock's wakes (pipelines/runtime/wall-clock.ts), in Node's fake timers. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scaledTime, systemTime } from '../../pipelines/runtime/wall-clock.ts';

const DAY_MS = 86_400_000;

describe('systemTime.wakeAt', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits for a wake beyond setTimeout’s longest delay (24.8 days) instead of firing at once', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 5) });
    const fired = vi.fn();
    systemTime.wakeAt((Date.now() + 60 * DAY_MS) * 1000, fired);
    vi.advanceTimersByTime(DAY_MS);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(59 * DAY_MS - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('a session close hours ahead at --speed 0.01 (weeks of wall time) is not due at once, and can be cancelled', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 5) });
    const origin = Date.UTC(2026, 0, 5, 14, 30) * 1000;
    const clock = scaledTime(0.01, origin, systemTime);
    const fired = vi.fn();
    const cancel = clock.wakeAt(origin + 6.5 * 3_600_000_000, fired); // the close, 6.5 h of data ahead: 27 days
    vi.advanceTimersByTime(26 * DAY_MS);
    expect(fired).not.toHaveBeenCalled();
    cancel();
    vi.advanceTimersByTime(2 * DAY_MS);
    expect(fired).not.toHaveBeenCalled();
  });
});
