/**
 * source.kafka — records of a project schema from a Kafka topic (Avro in the registry's wire format,
 * what sink.kafka writes), read in a consumer group and delivered as column batches, one per batch
 * fetched. ts_known is the receive stamp: when this process took the batch from the consumer (µs
 * since the epoch, never going back; every record of a batch shares it, and seq, the arrival order,
 * breaks the tie), so a live run's records carry what the live graph knew and when; the producer's
 * ts_known is not kept. A batch is committed once the graph has taken it (when the next is asked
 * for, or the source ends), so a reader restarted in the same group resumes after the last batch
 * the graph took: nothing lost, nothing given twice. In a run whose outputs are written at its end
 * (backtest, `alpha run`: the driver calls holdAcknowledgements), nothing is committed until they
 * are (outputsWritten): a run that fails commits nothing. However a run ends, the consumer leaves its
 * group (onRelease). A record that does not decode into the schema
 * goes to `<topic>.dlq` with the reason, and is a dead letter of the run (counted), never dropped.
 * Quotes, trades and book depth go through source.replay's row checks (operators/sdk/replay.ts, on
 * the columns): a row with a NaN, infinite or non-positive price, a bad size, a crossed quote or a
 * symbol outside the run's universe is a dead letter with the replay's reason (in a run without a
 * universe, a symbol is refused only when empty or over 64 characters); with `outside_universe:
 * skip`, rows of symbols outside the universe are passed over and counted instead. A cross-section
 * whose values are not its symbols × features, whose prices are not one per symbol, or that names a
 * symbol or feature twice is a dead letter with the lengths (operators/sdk/cross-section.ts); a bar
 * with a price that is not positive and finite, a low above its high, a bad volume or a symbol outside
 * the universe is one too (operators/sdk/bar-rows.ts, with `outside_universe: skip` as for quotes).
 * CrossSection and FeatureVector records need `features`, the names they carry, declared to the graph
 * (validation checks the nodes after the source against them): a cross-section with other features,
 * or a feature vector with another number of values, is a dead letter naming both.
 * It ends after `limit` records, or with `until_offsets: end` at the topic's end offsets when the
 * source opened; with neither, when the run is stopped (a live run). At the stop the broker has a few
 * seconds to confirm the last commit; when it does not (it is gone), the close fails the run, saying so.
 */
import { z } from 'zod';
import { ColumnBatch } from '../../lib/core/column-batch.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { KAFKA_STARTS, settingsFor } from '../../lib/io/kafka/settings.ts';
import { avroSchema } from '../../schemas/avro.ts';
import { SCHEMA_NAMES } from '../../schemas/types.generated.ts';
import { kafkaAddressParams } from '../sdk/kafka-params.ts';
import { soundBars } from '../sdk/bar-rows.ts';
import { soundCrossSections, soundFeatureVectors } from '../sdk/cross-section.ts';
import { checkRows, OrderCheck, REPLAYABLE, type Replayable } from '../sdk/replay.ts';
import type { Bar, CrossSection, FeatureVector } from '../../schemas/types.generated.ts';
import { defineSource } from '../sdk/spec.ts';

/** Schemas whose feature names are declared to the graph, not carried by each record alone. */
const WITH_FEATURES = ['CrossSection', 'FeatureVector'] as const;
const withFeatures = (schema: string): boolean => (WITH_FEATURES as readonly string[]).includes(schema);

const params = z
  .strictObject({
    topic: z
      .string()
      .refine((t) => nameProblem(t, { dots: true }) === undefined, { message: `a topic name: ${nameRule({ dots: true })}` })
      .describe('The topic read.'),
    schema: z.enum(SCHEMA_NAMES).describe('Project schema of the records (schemas/*.avsc), and so of the output.'),
    group: z
      .string()
      .refine((g) => nameProblem(g, { dots: true }) === undefined, { message: `a consumer group id: ${nameRule({ dots: true })}` })
      .describe('Consumer group id: a reader restarted in the same group resumes where the last one stopped.'),
    start: z
      .enum(KAFKA_STARTS)
      .default('committed')
      .describe(
        "committed: the group's committed offsets (else the earliest); earliest / latest: the first record kept / only new ones, resetting the group's offsets (no member may be running).",
      ),
    until_offsets: z
      .enum(['end'])
      .optional()
      .describe('end: stop at the end offsets the topic had when the source opened (tests, catching up).'),
    outside_universe: z
      .enum(['dead-letter', 'skip'])
      .default('dead-letter')
      .describe(
        "Quotes, trades, depth and bars of a symbol outside the run's universe: dead-letter (refused, with the reason) or skip (passed over, counted in the node's outside_universe metric: a topic carrying a whole market).",
      ),
    limit: z.number().int().min(1).optional().describe('Stop after this many records (the rest stays for the next reader of the group).'),
    features: z
      // Names, as the feature operators' own: a control byte or a path in one ended up in messages and column names.
      .array(z.string().refine((f) => nameProblem(f) === undefined, { message: `a feature name: ${nameRule()}` }))
      .min(1)
      .max(10_000)
      .refine((xs) => new Set(xs).size === xs.length, { message: 'has a name twice; each feature must differ' })
      .optional()
      .describe(
        'CrossSection and FeatureVector (required for them, refused for other schemas): the feature names the records carry, in column order, declared to the graph as a feature operator declares its own (sink.parquet and models are checked against them at validation). A cross-section with other features, or a feature vector with another number of values, is a dead letter naming both.',
      ),
    ...kafkaAddressParams,
  })
  .superRefine((p, ctx) => {
    if (withFeatures(p.schema) && p.features === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['features'],
        message: `schema ${p.schema} needs the feature names its records carry, in column order (e.g. features: [ret_5, vol_20]): the graph knows a node's feature columns before the run, and checks the nodes after this one (sink.parquet, models) against them`,
      });
    if (!withFeatures(p.schema) && p.features !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['features'],
        message: `${p.schema} records carry no feature columns: features applies to ${WITH_FEATURES.join(' and ')} only; remove it`,
      });
  });

export const kafkaSource = defineSource({
  type: 'source.kafka',
  summary:
    "Records of any project schema from a Kafka topic in a consumer group; ts_known is the receive stamp. Undecodable records go to <topic>.dlq; quotes, trades and depth get source.replay's row checks (bad prices or sizes, crossed quotes, symbols outside the universe are dead letters).",
  output: { oneOf: SCHEMA_NAMES, of: (p) => p.schema },
  params,
  features: (p) => [...(p.features ?? [])],
  open: (p, ctx) => {
    const what = `source.kafka ${ctx.node}`;
    const settings = settingsFor(p);
    const where = `topic "${p.topic}" on broker ${settings.brokers.join(',')}`;
    const fields = avroSchema(p.schema).fields.map((f) => f.name);
    if (!fields.includes('seq')) fields.push('seq'); // the arrival order, for the merge's ties
    // The Kafka client loads when a run reads a topic, not with the operator registry at every start.
    // A stop while the consumer is still joining its group gives that up (the broker may be gone).
    const stopping = new AbortController();
    const opening = import('../../lib/io/kafka/topic-reader.ts').then(({ TopicReader }) =>
      TopicReader.open(settings, {
        topic: p.topic,
        schema: p.schema,
        groupId: p.group,
        start: p.start,
        untilEnd: p.until_offsets === 'end',
        signal: stopping.signal,
        ...(p.limit !== undefined ? { limit: p.limit } : {}),
        onDeadLetter: (l) =>
          ctx.deadLetter(
            { topic: p.topic, partition: l.partition, offset: l.offset },
            `undecodable record, kept in ${p.topic}.dlq: ${l.error}`,
          ),
      }),
    );
    opening.catch(() => {}); // reported by next()
    const fail = (err: unknown): never => {
      throw new AlphaError(`${what}: reading ${where} failed: ${err instanceof Error ? err.message : String(err)}`);
    };
    let seq = 0;
    // Market data is checked as a replay checks it; the receive stamp and seq keep the order check's order.
    const checked = (REPLAYABLE as readonly string[]).includes(p.schema) ? (p.schema as keyof Replayable) : undefined;
    const check =
      checked || p.schema === 'Bar'
        ? new OrderCheck(ctx, { anySymbolWithoutUniverse: true, skipOutsideUniverse: p.outside_universe === 'skip' })
        : undefined;
    /** A run whose outputs are written at its end: offsets are committed once they are (outputsWritten). */
    let held = false;
    const atStop = (err: unknown): never => {
      throw new AlphaError(
        `${what}: at the stop, ${err instanceof Error ? err.message : String(err)} on broker ${settings.brokers.join(',')} (is it up?): a reader restarted in group "${p.group}" reads again from its last confirmed commit`,
      );
    };
    // However the run ends (a failed one too), the consumer leaves its group: else the broker holds the
    // dead member until its session times out, and the next run in the group waits or is refused.
    ctx.onRelease(async () => {
      stopping.abort();
      await (await opening.catch(() => undefined))?.close();
    });
    return {
      holdAcknowledgements() {
        held = true;
      },
      async outputsWritten() {
        const reader = await opening.catch(() => undefined);
        await reader?.commitTaken().catch((err: unknown) => {
          throw new AlphaError(
            `${what}: the run's outputs are written, but committing what it read failed: ${err instanceof Error ? err.message : String(err)} on broker ${settings.brokers.join(',')} (is it up?): a rerun in group "${p.group}" reads again from its last confirmed commit`,
          );
        });
      },
      async next() {
        const reader = await opening.catch(fail);
        if (held) reader.deferCommits();
        for (;;) {
          const got = await reader.next().catch(fail);
          if (got === null) return null;
          // The batch's own columns (decoded for this batch alone), with the receive stamp and arrival order.
          const batch =
            got.batch.start === 0 ? got.batch : got.batch.pick(Array.from({ length: got.batch.length }, (_, i) => got.batch.start + i));
          const order = new Float64Array(batch.length);
          for (let i = 0; i < order.length; i++) order[i] = ++seq;
          const columns = batch.columns as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const f of fields)
            out[f] = f === 'seq' ? order : f === 'ts_known' ? new Float64Array(batch.length).fill(got.receivedAt) : columns[f];
          const rows = ColumnBatch.of(batch.length, out as never);
          const kept =
            checked && check
              ? checkRows(checked, rows as ColumnBatch<Replayable[typeof checked]>, ctx, check)
              : p.schema === 'CrossSection'
                ? soundCrossSections(rows as ColumnBatch<CrossSection>, ctx, p.features)
                : p.schema === 'FeatureVector' && p.features
                  ? soundFeatureVectors(rows as ColumnBatch<FeatureVector>, ctx, p.features)
                  : p.schema === 'Bar' && check
                    ? soundBars(rows as unknown as ColumnBatch<Bar>, ctx, check)
                    : rows;
          // Every row refused (dead letters now): the next batch, so the graph never gets an empty one.
          if (kept.length > 0 || rows.length === 0) return kept as never;
        }
      },
      async close() {
        stopping.abort();
        const reader = await opening.catch(() => undefined);
        // Held: the commit waits for outputsWritten (a failed run never gets there; onRelease leaves the group).
        if (held) await reader?.stop();
        else await reader?.close().catch(atStop);
      },
    };
  },
});
