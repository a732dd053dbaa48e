/**
 * sink.parquet — writes every record of its input to a Parquet file in the run's output folder when
 * the run ends, with column types from the input's Avro schema (timestamps as TIMESTAMP(MICROS, UTC)).
 * Rows keep arrival order, so the same run gives the same bytes.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { defineOperator } from '../sdk/spec.ts';
import { operate } from '../sdk/operate.ts';
import { writeRecordsParquet } from '../sdk/parquet-writer.ts';

const params = z.strictObject({
  file: z.string().regex(/^[\w.-]+\.parquet$/, 'a file name ending in .parquet, without folders').describe('File name in the output folder.'),
});

export const parquetSink = defineOperator({
  type: 'sink.parquet',
  summary: 'Writes its input to a Parquet file in the output folder.',
  inputs: { records: { schema: '*', description: 'Records of any schema.' } },
  output: null,
  params,
  create: (p, ctx) => ({ records }) => {
    const schema = ctx.inputs['records']?.[0]?.schema ?? '';
    const rows: Record<string, unknown>[] = [];
    ctx.atEnd(() => writeRecordsParquet(join(ctx.outDir, p.file), schema, rows));
    return operate<never>(ctx, [{ stream: records, onBatch: (batch) => { for (const r of batch) rows.push(r as Record<string, unknown>); } }]);
  },
});
