import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../operators/index.ts';
import { handle, on } from '../../operators/sdk/handle.ts';
import { defineOperator, type AnySpec } from '../../operators/sdk/spec.ts';
import { everySession } from '../../operators/sdk/timers.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import type { Trade } from '../../schemas/types.generated.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Seen = { kind: 'timer'; at: number } | { kind: 'record'; trade: Trade; now: number };

describe('point in time', () => {
  it('no operator sees a record, corrections included, before its ts_known', async () => {
    const log: Seen[] = [];
    const probe = defineOperator({
      type: 'test.pit-probe',
      summary: 'Records the order of its timers and of the trades it is given.',
      inputs: { trades: { schema: 'Trade', description: 'Trades.' } },
      output: null,
      params: z.strictObject({}),
      create:
        (_p, ctx) =>
        ({ trades }) =>
          handle<never>(ctx, [on(trades, (batch) => batch.forEach((trade) => log.push({ kind: 'record', trade, now: ctx.clock.now() })))], {
            start: () => everySession(ctx, 60_000_000, 60_000_000, (at) => log.push({ kind: 'timer', at })),
          }),
    });
    const specs = new Map<string, AnySpec>([...registry, [probe.type, probe]]);
    const dir = tempDir('pit');
    const file = join(dir, 'pit.yaml');
    writeFileSync(
      file,
      [
        'nodes:',
        '  - { name: trades, type: source.replay, params: { dataset: trades, schema: Trade, batch_size: 64 } }',
        '  - { name: probe, type: test.pit-probe, inputs: trades }',
      ].join('\n'),
    );
    const data = await dataset({ symbols: 6, days: 2, seed: 9, correctionRate: 0.05 });
    await runBacktest({ topologyFile: file, dataDir: data, outDir: join(dir, 'out'), registry: specs });

    const records = log.filter((e): e is Extract<Seen, { kind: 'record' }> => e.kind === 'record');
    const corrections = records.filter((r) => r.trade.version > 1);
    expect(corrections.length).toBeGreaterThan(50);
    expect(corrections.every((r) => r.trade.ts_known > r.trade.ts_event + 60_000_000)).toBe(true);
    // Every timer before a record is at or before its ts_known; every timer after it is later.
    let lastTimer = -Infinity;
    const pending: number[] = [];
    for (const e of log) {
      if (e.kind === 'timer') {
        for (const known of pending) expect(e.at).toBeGreaterThan(known);
        pending.length = 0;
        lastTimer = e.at;
      } else {
        expect(lastTimer).toBeLessThanOrEqual(e.trade.ts_known);
        expect(e.now).toBeLessThanOrEqual(e.trade.ts_known);
        pending.push(e.trade.ts_known);
      }
    }
    // And records arrive in ts_known order.
    const known = records.map((r) => r.trade.ts_known);
    expect(known).toEqual([...known].sort((a, b) => a - b));
  });
});
