/**
 * source.redis — reads a dataset of the Redis hot tier (what sink.redis wrote: a stream per symbol
 * of the run's universe) through a consumer group: `group` and `consumer` name the reader, so a run
 * that stops and starts again under the same names resumes where it stopped — first what it had
 * been given but not acknowledged, then the entries it has not seen (a new group starts at the
 * oldest entry kept). A batch is acknowledged once the graph has taken it (at the next read or at
 * the end). The run's source ends after `limit` records, or after `idle_ms` without a new entry;
 * with neither, it reads until the run is stopped (a live run). Entries of one read come in
 * ts_known order across symbols.
 *
 * An entry that does not decode (or is too large to be a record) is a dead letter naming its stream,
 * id and the reason; a record that decodes goes through source.replay's row checks
 * (operators/sdk/replay.ts: a symbol outside the universe, NaN, infinite or non-positive prices,
 * bad sizes, a crossed quote) and is a dead letter with the replay's reason when it fails them. Both
 * are acknowledged with the batch (never given again) and count towards `limit`. A read that gets no
 * answer within block_ms + 5 s, or a reply over its byte bound (lib/io/redis/group-reader.ts), fails the run.
 */
import { z } from 'zod';
import { AlphaError } from '../../lib/core/errors.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { DEFAULT_REDIS_URL, openRedis, redisAddress } from '../../lib/io/redis/connect.ts';
import { GroupReader } from '../../lib/io/redis/group-reader.ts';
import type { Quote, Trade } from '../../schemas/types.generated.ts';
import { MARKET_DATA, OrderCheck, recordProblem } from '../sdk/replay.ts';
import { defineSource } from '../sdk/spec.ts';

/** How long past its BLOCK time a read may wait for Redis to answer. */
const ANSWER_MARGIN_MS = 5000;

const name = z.string().refine((n) => nameProblem(n) === undefined, { message: `a name: ${nameRule()}` });

const params = z.strictObject({
  url: z
    .string()
    .refine((u) => typeof redisAddress(u) !== 'string', { message: `expected redis://HOST:PORT[/DB], e.g. ${DEFAULT_REDIS_URL}` })
    .default(DEFAULT_REDIS_URL)
    .describe('The Redis server: redis://HOST:PORT[/DB].'),
  dataset: name.describe('Name of the dataset: its streams are alpha:<dataset>:<symbol>.'),
  schema: z.enum(MARKET_DATA).default('Quote').describe('Record type of the dataset, and so of the output: Quote or Trade.'),
  group: name.default('alpha').describe('Consumer group: readers of one group share the entries, each read once.'),
  consumer: name.optional().describe("This reader's name in the group (default: the node's name); reuse it to resume."),
  count: z.number().int().min(1).max(100_000).default(1000).describe('Most entries per symbol per read.'),
  block_ms: z.number().int().min(1).max(60_000).default(100).describe('How long one read waits for new entries.'),
  limit: z.number().int().min(1).optional().describe('End after this many records (they are all acknowledged).'),
  idle_ms: z.number().int().min(1).optional().describe('End after this long without a new entry (counted in reads of block_ms).'),
});

export const redisSource = defineSource({
  type: 'source.redis',
  summary:
    'Quotes or trades from the Redis hot tier through a consumer group that resumes where it stopped; undecodable entries and rows source.replay would refuse are dead letters.',
  output: { oneOf: MARKET_DATA, of: (p) => p.schema },
  params,
  open: (p, ctx) => {
    type R = Quote | Trade;
    const what = `source.redis ${ctx.node}`;
    const symbols = ctx.universe.map((u) => u.symbol);
    if (symbols.length === 0) throw new AlphaError(`${what}: the run has no universe: no streams to read`);
    const undecodable = ctx.metrics.counter('undecodable');
    const check = new OrderCheck(ctx);
    const onRefused = (entry: { stream: string; id: string; bytes: number }, reason: string) =>
      ctx.deadLetter(entry, `undecodable entry: ${reason} (entry ${entry.id} of stream ${entry.stream})`);
    // A read waits up to block_ms for entries, then for the reply to arrive.
    const opened = openRedis(p.url, what, { commandTimeoutMs: p.block_ms + ANSWER_MARGIN_MS }).then(async (redis) => {
      try {
        const reader = await GroupReader.open<R>(redis, p.dataset, p.schema, symbols, p.group, p.consumer ?? ctx.node, { onRefused });
        return { redis, reader };
      } catch (err) {
        redis.disconnect();
        throw err;
      }
    });
    opened.catch(() => {}); // reported by next()
    const failure = (why: string): string =>
      why === 'Command timed out'
        ? `no answer within ${p.block_ms + ANSWER_MARGIN_MS} ms (block_ms + ${ANSWER_MARGIN_MS} ms): the server hangs, or is not Redis`
        : why.startsWith('Protocol error')
          ? `${why.replace(/ Please report this\.$/, '')}: the server does not speak Redis's protocol (RESP)`
          : why;
    let delivered = 0;
    let seen = 0;
    let done = false;
    const read = async (): Promise<R[] | null> => {
      const { reader } = await opened;
      await reader.ack(); // the graph has taken the last batch
      // Idle: reads in a row that waited block_ms each and brought nothing (no wall clock read here).
      let empty = 0;
      for (;;) {
        const want = p.limit === undefined ? p.count : Math.min(p.count, p.limit - delivered);
        if (want <= 0) return null;
        let records = await reader.read(want, p.block_ms);
        const refusedNow = reader.undecodable - seen;
        undecodable.inc(refusedNow);
        seen = reader.undecodable;
        if (p.limit !== undefined && delivered + records.length > p.limit) {
          // Over the limit (a read is per symbol): the rest stays unacknowledged, given again next time.
          records = records.slice(0, p.limit - delivered);
          reader.keepOnly(records.length);
        }
        if (records.length > 0) {
          delivered += records.length;
          const kept = records.filter((r) => {
            const why = recordProblem(p.schema, r as never, check);
            if (why) ctx.deadLetter(r, why);
            return why === undefined;
          });
          if (kept.length > 0) return kept;
        }
        if (records.length > 0 || refusedNow > 0) {
          // Entries came and every one was refused (dead letters now): not idle, and acknowledged
          // now, so that a long run of bad entries is not held pending (and in memory) until a good one.
          empty = 0;
          await reader.ack();
          continue;
        }
        if (p.idle_ms !== undefined && ++empty * p.block_ms >= p.idle_ms) return null;
      }
    };
    return {
      async next() {
        if (done) return null;
        try {
          return (await read()) as never;
        } catch (err) {
          if (err instanceof AlphaError) throw err;
          throw new AlphaError(`${what}: reading dataset "${p.dataset}" from ${p.url} failed: ${failure((err as Error).message)}`);
        }
      },
      async close() {
        done = true;
        const got = await opened.catch(() => undefined);
        if (!got) return;
        try {
          // Redis gone (the run is failing already): the batch stays pending, given again next time.
          await got.reader.ack().catch(() => {});
        } finally {
          got.redis.disconnect();
        }
      },
    };
  },
});
