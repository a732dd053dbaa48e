/**
 * Params that size a run's state or its start are bounded: a hostile value is a validation problem
 * naming what would be accepted, not gigabytes of windows or minutes of loading models.
 */
import { describe, expect, it } from 'vitest';
import { afterBars, afterSnapshot, validate } from './helpers.ts';

const messages = (text: string): string[] => validate(text).problems.map((p) => `${p.message} — ${p.hint ?? ''}`);
const upTo = (n: number, from = 2): string => Array.from({ length: n }, (_, i) => i + from).join(', ');

describe('bounded params', () => {
  it.each([
    ['feature.volatility', 'windows'],
    ['feature.bar-stats', 'windows'],
    ['feature.lagged-returns', 'horizons'],
  ])('%s takes at most 32 distinct %s', (type, param) => {
    const node = (list: string) => afterBars('  - name: f', `    type: ${type}`, '    inputs: bars', `    params: { ${param}: [${list}] }`);
    expect(messages(node(upTo(32)))).toEqual([]);
    expect(messages(node(upTo(33))).join('\n')).toContain('expected array to have <=32 items');
    expect(messages(node('5, 10, 5')).join('\n')).toContain('has an entry twice; each must differ');
  });

  it('a Kafka edge or a sink.kafka topic has at most 256 partitions', () => {
    const edge = (n: number) =>
      afterBars('  - name: f', '    type: feature.volatility', '    inputs: bars', `    transport: { kind: kafka, partitions: ${n} }`);
    expect(messages(edge(256))).toEqual([]);
    expect(messages(edge(257))).toEqual(['partitions is 257 — an integer from 1 to 256']);
    const sink = (n: number) =>
      afterBars('  - name: out', '    type: sink.kafka', '    inputs: bars', `    params: { topic: t, schema: Bar, partitions: ${n} }`);
    expect(messages(sink(256))).toEqual([]);
    expect(messages(sink(257)).join('\n')).toContain('expected number to be <=256');
  });

  it('model.onnx takes a schedule of at most 256 models', () => {
    const schedule = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => `{ from: "${new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10)}", model: m${i} }`,
      ).join(', ');
    const node = (n: number) =>
      afterSnapshot('  - name: model', '    type: model.onnx', '    inputs: snapshot', `    params: { schedule: [${schedule(n)}] }`);
    expect(messages(node(257)).join('\n')).toContain('expected array to have <=256 items');
    expect(messages(node(256)).join('\n')).not.toContain('items');
  });
});
