/**
 * sink.redis — the hot tier: every record of its input into Redis, one stream per symbol
 * (`alpha:<dataset>:<symbol>`, the record in Avro under `v`, entry ids from ts_known), each stream
 * trimmed to the last `retention_hours` of ts_known, and each symbol's latest record as JSON in
 * `alpha:<dataset>:latest` for dashboards (lib/io/redis/hot-streams.ts). Writes are batched (one Lua
 * call per `batch` records, several in flight); when Redis falls behind, the sink holds the clock
 * until it catches up rather than buffering without bound. The same records written again add
 * nothing (counted as `duplicates`). A write that fails fails the run at its end, with the first
 * error: a hot tier that silently missed records would look complete.
 */
import { z } from 'zod';
import { AlphaError } from '../../lib/core/errors.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { DEFAULT_REDIS_URL, openRedis, redisAddress } from '../../lib/io/redis/connect.ts';
import { HOT_SCHEMAS, type HotRecord, type HotSchema } from '../../lib/io/redis/hot-streams.ts';
import { StreamWriter } from '../../lib/io/redis/stream-writer.ts';
import { handle, on } from '../sdk/handle.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';

const inputs = definePorts({ records: { schema: '*', description: `Records with a symbol: ${HOT_SCHEMAS.join(', ')}.` } });

const params = z.strictObject({
  url: z
    .string()
    .refine((u) => typeof redisAddress(u) !== 'string', { message: `expected redis://HOST:PORT[/DB], e.g. ${DEFAULT_REDIS_URL}` })
    .default(DEFAULT_REDIS_URL)
    .describe('The Redis server: redis://HOST:PORT[/DB].'),
  dataset: z
    .string()
    .refine((n) => nameProblem(n) === undefined, { message: `a dataset name: ${nameRule()}` })
    .describe('Name of the dataset: its streams are alpha:<dataset>:<symbol>.'),
  retention_hours: z
    .number()
    .min(0)
    .max(24 * 366)
    .default(24)
    .describe('Keep this many hours of ts_known per stream; 0 keeps all.'),
  latest: z.boolean().default(true).describe("Keep each symbol's latest record as JSON in alpha:<dataset>:latest."),
  batch: z.number().int().min(1).max(100_000).default(1000).describe('Records per write call.'),
});

export const redisSink = defineOperator({
  type: 'sink.redis',
  summary: 'Writes its input to the Redis hot tier: a stream per symbol trimmed to the last hours, and the latest record per symbol.',
  inputs,
  output: null,
  params,
  create:
    (p, ctx) =>
    ({ records }) => {
      const schema = ctx.inputs['records']?.[0]?.schema ?? '';
      if (!(HOT_SCHEMAS as readonly string[]).includes(schema))
        throw new AlphaError(`sink.redis ${ctx.node}: its input carries ${schema} records; expected one of ${HOT_SCHEMAS.join(', ')}`);
      const added = ctx.metrics.counter('added');
      const duplicates = ctx.metrics.counter('duplicates');
      const what = `sink.redis ${ctx.node}`;
      const writer = openRedis(p.url, what).then(async (redis) => {
        try {
          const w = await StreamWriter.open<HotRecord>(redis, p.dataset, schema as HotSchema, {
            retentionMs: p.retention_hours * 3_600_000,
            latest: p.latest,
            batchRecords: p.batch,
          });
          return { redis, w };
        } catch (err) {
          redis.disconnect(); // nothing else holds it: the run fails with `err`
          throw err;
        }
      });
      // Connecting holds the clock, so the first records wait for the writer instead of piling up.
      let ready: StreamWriter<HotRecord> | undefined;
      let early: HotRecord[] = [];
      let failure: unknown;
      ctx.hold(
        writer.then(
          ({ w }) => {
            ready = w;
            w.write(early);
            early = [];
          },
          (err: unknown) => {
            failure = err;
          },
        ),
      );
      // A failed run skips atEnd: the connection is let go of all the same.
      ctx.onRelease(() =>
        writer.then(
          ({ redis }) => redis.disconnect(),
          () => undefined,
        ),
      );
      ctx.atEnd(async () => {
        if (failure !== undefined) throw failure;
        const { redis, w } = await writer;
        try {
          const s = await w.flush();
          added.inc(s.added);
          duplicates.inc(s.duplicates);
          if (s.failed > 0)
            throw new AlphaError(`${what}: ${s.failed} write(s) to dataset "${p.dataset}" failed; the first: ${s.firstError}`);
        } finally {
          redis.disconnect();
        }
      });
      return handle<never>(ctx, [
        on(records, (batch) => {
          const rows = batch as unknown as HotRecord[];
          if (!ready) {
            if (failure === undefined) early.push(...rows);
            return;
          }
          ready.write(rows);
          // Redis behind: hold the clock until a call returns.
          if (ready.pending > 4) ctx.hold(ready.drained());
        }),
      ]);
    },
});
