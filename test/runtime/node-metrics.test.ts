/**
 * A node's metrics (pipelines/runtime/node-context.ts): counters and gauges it keeps, and observed
 * counters whose values are read from elsewhere (a native feed's gaps) each time the run reports them.
 */
import { describe, expect, it } from 'vitest';
import { NodeMetrics } from '../../pipelines/runtime/node-context.ts';

describe('NodeMetrics', () => {
  it('reads an observed counter each time it reports, beside the counters and gauges it keeps', () => {
    const m = new NodeMetrics();
    let gaps = 0;
    m.observedCounter('gaps', () => gaps);
    m.counter('in').inc(3);
    m.gauge('mode').set(2);
    expect(m.snapshot()).toEqual({ gaps: 0, in: 3, mode: 2 });
    gaps = 7;
    expect(m.snapshot()).toEqual({ gaps: 7, in: 3, mode: 2 });
  });

  it('refuses one name for two kinds, naming both', () => {
    const m = new NodeMetrics();
    m.observedCounter('gaps', () => 1);
    expect(() => m.counter('gaps')).toThrow('metric gaps is an observed counter, not a counter');
    expect(() => m.gauge('gaps')).toThrow('metric gaps is an observed counter, not a gauge');
    expect(() => m.observedCounter('gaps', () => 2)).toThrow('metric gaps is already an observed counter');
    m.counter('in');
    expect(() => m.observedCounter('in', () => 2)).toThrow('metric in is already a counter');
    expect(() => m.gauge('in')).toThrow('metric in is a counter, not a gauge');
  });
});
