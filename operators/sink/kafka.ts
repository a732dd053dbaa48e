/**
 * sink.kafka — every record of its input to a Kafka topic, as Avro of a project schema in the schema
 * registry's wire format (subject `<topic>-value`, BACKWARD compatibility), keyed by a field of the
 * record (the symbol by default) and partitioned by murmur2 of the key like the Java client. Through
 * the Kafka edges' idempotent writer (lib/io/kafka): one send in flight at a time, so each
 * partition gets the records in input order, a retried send is not written twice, and nothing is
 * sent after a send that failed. The run's end waits until the broker has every record. A broker
 * that cannot be reached, or that stops acknowledging for `delivery_timeout_ms`, fails the run with
 * an error naming the topic and the broker.
 */
import { z } from 'zod';
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import type { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { settingsFor } from '../../lib/io/kafka/settings.ts';
import { avroSchema } from '../../schemas/avro.ts';
import { SCHEMA_NAMES } from '../../schemas/types.generated.ts';
import { handle, onColumns } from '../sdk/handle.ts';
import { kafkaAddressParams, MAX_PARTITIONS } from '../sdk/kafka-params.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';

/** A failed run's producer gets this long to hand over what it holds (within the runtime's RELEASE_WITHIN_MS). */
const RELEASE_CLOSE_MS = 4_000;

const inputs = definePorts({ records: { schema: '*', description: 'Records of the schema named by `schema`.' } });

/** The fields of `schema` that can key a record (strings and enums). */
const keyFields = (schema: string): string[] =>
  avroSchema(schema)
    .fields.filter((f) => f.type === 'string' || (typeof f.type === 'object' && !Array.isArray(f.type) && f.type.type === 'enum'))
    .map((f) => f.name);

const params = z
  .strictObject({
    topic: z
      .string()
      .refine((t) => nameProblem(t, { dots: true }) === undefined, { message: `a topic name: ${nameRule({ dots: true })}` })
      .describe('The topic written (created with `partitions` when missing).'),
    schema: z.enum(SCHEMA_NAMES).describe('Project schema of the records (schemas/*.avsc); the input must carry it.'),
    key: z.string().default('symbol').describe("The record's field that keys it (a string field of the schema)."),
    partitions: z
      .number()
      .int()
      .min(1)
      .max(MAX_PARTITIONS)
      .optional()
      .describe('Partitions of the topic; a topic with another count is refused (default: those it has, or 1 for a new one).'),
    ...kafkaAddressParams,
    batch: z.number().int().min(1).max(1_000_000).default(10_000).describe('Most records per request to the broker (batch.num.messages).'),
    linger_ms: z.number().int().min(0).max(60_000).default(1).describe('How long the client waits to fill a request (linger.ms).'),
    delivery_timeout_ms: z
      .number()
      .int()
      .min(1000)
      .max(600_000)
      .default(30_000)
      .describe('How long a record may wait for the broker before the run fails (message.timeout.ms).'),
  })
  .superRefine((p, ctx) => {
    const fields = keyFields(p.schema);
    if (!fields.includes(p.key))
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        message: `${p.schema} has no string field "${p.key}"; expected one of: ${fields.join(', ') || '(none: this schema cannot be keyed)'}`,
      });
  });

export const kafkaSink = defineOperator({
  type: 'sink.kafka',
  summary:
    'Writes its input to a Kafka topic: Avro of a project schema in the registry wire format, keyed by symbol, ordered per partition.',
  inputs,
  output: null,
  params,
  create:
    (p, ctx) =>
    ({ records }) => {
      const what = `sink.kafka ${ctx.node}`;
      const carried = ctx.inputs['records']?.[0]?.schema ?? '';
      if (carried !== p.schema)
        throw new AlphaError(`${what}: its input carries ${carried} records; params.schema is ${p.schema} (make them agree)`);
      const settings = settingsFor(p);
      const where = `topic "${p.topic}" on broker ${settings.brokers.join(',')}`;
      const failed = (err: unknown): AlphaError =>
        new AlphaError(`${what}: writing ${where} failed: ${err instanceof Error ? err.message : String(err)}`);
      const written = ctx.metrics.counter('written');
      // The Kafka client loads when a run writes a topic, not with the operator registry at every start.
      const opening = import('../../lib/io/kafka/edge-writer.ts').then(({ EdgeWriter }) =>
        EdgeWriter.open(settings, {
          topic: p.topic,
          schema: p.schema,
          ...(p.partitions !== undefined ? { partitions: p.partitions } : {}),
          producer: {
            'batch.num.messages': String(p.batch),
            'linger.ms': String(p.linger_ms),
            'message.timeout.ms': String(p.delivery_timeout_ms),
          },
        }),
      );
      let writer: EdgeWriter<Record<string, unknown>> | undefined;
      let failure: AlphaError | undefined;
      let early: ColumnBatch<Record<string, unknown>>[] = [];
      const inFlight: Promise<void>[] = [];
      const send = (batch: ColumnBatch<Record<string, unknown>>): void => {
        const w = writer!;
        // Encoded straight from the columns (see lib/io/kafka/avro-columns.ts).
        const sent = w.writeColumns(batch, p.key).then(
          () => written.inc(batch.length),
          (err: unknown) => {
            failure ??= failed(err);
          },
        );
        inFlight.push(sent);
        void sent.then(() => inFlight.splice(inFlight.indexOf(sent), 1));
        // The broker behind: hold the clock until the oldest send is acknowledged.
        if (inFlight.length > 4) ctx.hold(inFlight[0]!);
      };
      // Connecting holds the clock, so the first records wait for the writer instead of piling up.
      ctx.hold(
        opening.then(
          (w) => {
            writer = w as unknown as EdgeWriter<Record<string, unknown>>;
            for (const batch of early) send(batch);
            early = [];
          },
          (err: unknown) => {
            failure = failed(err);
          },
        ),
      );
      // A failed run skips atEnd: the producer is let go of all the same (close is idempotent), what
      // it still holds given up after RELEASE_CLOSE_MS.
      ctx.onRelease(() =>
        opening.then(
          (w) => w.close(RELEASE_CLOSE_MS),
          () => undefined,
        ),
      );
      ctx.atEnd(async () => {
        if (writer) {
          await Promise.all(inFlight);
          await writer.flush().catch((err: unknown) => {
            failure ??= failed(err);
          });
          await writer.close();
        }
        if (failure) throw failure;
      });
      return handle<never>(ctx, [
        onColumns(records, (batch) => {
          if (failure) return;
          const b = batch as unknown as ColumnBatch<Record<string, unknown>>;
          if (writer) send(b);
          else early.push(b);
        }),
      ]);
    },
});
