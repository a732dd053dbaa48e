import { describe, expect, it } from 'vitest';
import { EventClock } from '../../pipelines/runtime/event-clock.ts';

describe('EventClock', () => {
  it('fires timers in time order when advanced, with now() at each timer time', () => {
    const clock = new EventClock(0);
    const fired: string[] = [];
    clock.schedule(30, (at) => fired.push(`b@${at}/${clock.now()}`));
    clock.schedule(10, (at) => fired.push(`a@${at}/${clock.now()}`));
    clock.schedule(50, (at) => fired.push(`c@${at}`));
    clock.advanceTo(30);
    expect(fired).toEqual(['a@10/10', 'b@30/30']);
    expect(clock.now()).toBe(30);
    expect(clock.nextTimerAt()).toBe(50);
  });

  it('at the same time, fires the lower node rank first, then scheduling order', () => {
    const clock = new EventClock(0);
    const fired: string[] = [];
    const downstream = clock.forNode(5);
    const upstream = clock.forNode(1);
    downstream.schedule(60, () => fired.push('snapshot'));
    upstream.schedule(60, () => fired.push('bar-1'));
    upstream.schedule(60, () => fired.push('bar-2'));
    clock.advanceTo(60);
    expect(fired).toEqual(['bar-1', 'bar-2', 'snapshot']);
  });

  it('fires a timer scheduled by a timer when it is due in the same advance', () => {
    const clock = new EventClock(0);
    const fired: number[] = [];
    const every10 = (at: number): void => {
      fired.push(at);
      if (at < 40) clock.schedule(at + 10, every10);
    };
    clock.schedule(10, every10);
    clock.advanceTo(35);
    expect(fired).toEqual([10, 20, 30]);
    clock.advanceTo(100);
    expect(fired).toEqual([10, 20, 30, 40]);
  });

  it('refuses a timer in the past', () => {
    const clock = new EventClock(100);
    expect(() => clock.schedule(99, () => {})).toThrow(RangeError);
  });
});
