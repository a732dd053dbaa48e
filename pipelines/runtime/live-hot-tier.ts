/**
 * `alpha live --hot URL`: what the live graph receives also goes to the Redis hot tier as it is
 * delivered, beside the capture. Each source's records (and each external node's executions and order
 * states) go to the per-symbol streams of a dataset named after the node (lib/io/redis/hot-streams.ts),
 * trimmed to the last `retentionHours` of data time, with each symbol's latest record as JSON; the
 * portfolio's latest state (equity, cash, positions, the kill switch's mode) is kept in the hash
 * `alpha:live:<topology>`, for dashboards. `alpha data flush --date D` later moves a day of those streams into the lake.
 */
import type { Redis } from 'ioredis';
import { rowsOf } from '../../lib/core/column-batch.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import { openRedis } from '../../lib/io/redis/connect.ts';
import { HOT_SCHEMAS, type HotRecord, type HotSchema } from '../../lib/io/redis/hot-streams.ts';
import { StreamWriter } from '../../lib/io/redis/stream-writer.ts';
import type { PortfolioState } from '../../schemas/types.generated.ts';
import type { CapturedNode } from '../io/capture-log.ts';
import { edgeId, type Topology } from '../topology/model.ts';
import type { BuiltGraph } from './graph.ts';
import { killSwitchMode } from './run-report.ts';

export interface HotTierOptions {
  url: string;
  retentionHours: number;
}

export interface HotTier {
  /** Waits for every write; throws an AlphaError when some failed. Returns the entries added. */
  close(): Promise<number>;
}

/** The key of a live run's latest portfolio state. */
export const liveStateKey = (topology: string): string => `alpha:live:${topology}`;

const what = 'alpha live --hot';

/** The hot tier's connection, opened before the graph is built so a missing Redis stops the run first. */
export function connectHotTier(options: HotTierOptions): Promise<Redis> {
  return openRedis(options.url, what);
}

/** Subscribes the hot tier's writers to the graph; `redis` (from connectHotTier) is the tier's to close. */
export async function attachHotTier(
  redis: Redis,
  topology: Topology,
  graph: BuiltGraph,
  captured: readonly CapturedNode[],
  options: HotTierOptions,
): Promise<HotTier> {
  const writers: { dataset: string; w: StreamWriter<HotRecord> }[] = [];
  try {
    for (const node of captured) {
      for (const [port, schema] of Object.entries(node.ports)) {
        if (!(HOT_SCHEMAS as readonly string[]).includes(schema)) continue;
        const dataset = port === 'out' ? node.node : `${node.node}_${port}`;
        const w = await StreamWriter.open<HotRecord>(redis, dataset, schema as HotSchema, {
          retentionMs: options.retentionHours * 3_600_000,
          latest: true,
        });
        writers.push({ dataset, w });
        graph.outputs.get(edgeId(node.node, port))!.subscribe((b) => w.write(rowsOf(b) as unknown as HotRecord[]));
      }
    }
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  const accounting = topology.nodes.find((n) => n.output === 'PortfolioState');
  const stateKey = liveStateKey(topology.name);
  // One connection runs its commands in order: the last state write settles after every earlier one.
  let lastState: Promise<unknown> = Promise.resolve();
  let stateError: string | undefined;
  if (accounting)
    graph.outputs.get(accounting.name)!.subscribe((b) => {
      const s = rowsOf(b).at(-1) as PortfolioState | undefined;
      if (!s) return;
      lastState = redis
        .hset(stateKey, {
          ts_known: String(s.ts_known),
          equity: String(s.equity),
          cash: String(s.cash),
          positions: JSON.stringify(s.positions),
          kill_switch: killSwitchMode(graph) ?? 'none',
        })
        .catch((err: unknown) => {
          stateError ??= (err as Error).message;
        });
    });
  return {
    async close() {
      try {
        let added = 0;
        const failures: string[] = [];
        let first = stateError;
        for (const { dataset, w } of writers) {
          const s = await w.flush();
          added += s.added;
          if (s.failed === 0) continue;
          failures.push(`${dataset} (${s.failed} batch${s.failed === 1 ? '' : 'es'})`);
          first ??= s.firstError;
        }
        await lastState;
        if (stateError !== undefined) failures.push('the portfolio state');
        if (failures.length > 0)
          throw new AlphaError(
            `${what}: writes to Redis failed for ${failures.join(', ')}; the first error: ${first ?? stateError}. The run's capture and outputs are complete; the hot tier misses those writes`,
          );
        return added;
      } finally {
        redis.disconnect();
      }
    },
  };
}
