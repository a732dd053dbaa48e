/**
 * sink.parquet — writes every record of its input to a Parquet file in the run's output folder when
 * the run ends, with column types from the input's Avro schema (timestamps as TIMESTAMP(MICROS, UTC)),
 * encoded on libuv's thread pool while the run's other end-of-run work goes on (the other sinks' too;
 * the files are written in node order).
 * Rows keep arrival order, so the same run gives the same bytes. A CrossSection input is written wide
 * (one row per snapshot and symbol, one column per feature: see cross-section-table.ts), the layout
 * `alpha model train` reads.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import { encodeIpcOnPool, writeParquetFile, writtenTo } from '../../lib/io/parquet.ts';
import { RecordColumns } from '../../lib/io/record-columns.ts';
import { crossSectionTable } from '../../lib/io/cross-section-table.ts';
import type { CrossSection } from '../../schemas/types.generated.ts';

const inputs = definePorts({ records: { schema: '*', description: 'Records of any schema.' } });

const params = z.strictObject({
  file: z
    .string()
    .regex(/^[\w.-]+\.parquet$/, 'a file name ending in .parquet, without folders')
    .describe('File name in the output folder.'),
});

export const parquetSink = defineOperator({
  type: 'sink.parquet',
  summary: 'Writes its input to a Parquet file in the output folder.',
  inputs,
  output: null,
  params,
  writes: (p) => [p.file],
  create:
    (p, ctx) =>
    ({ records }) => {
      const schema = ctx.inputs['records']?.[0]?.schema ?? '';
      // Records are kept as columns while the run lasts (a run's states and fills are hundreds of
      // thousands of objects otherwise); a CrossSection is kept whole for its wide table.
      let columns: RecordColumns | undefined = schema === 'CrossSection' ? undefined : new RecordColumns(schema);
      let rows: Record<string, unknown>[] = [];
      const path = join(ctx.outDir, p.file);
      ctx.atEnd(() => {
        const kept = columns;
        columns = undefined;
        // The encoding runs on the pool while the nodes after this one finish (their Arrow streams
        // are built on this thread meanwhile); the file is written in node order once it is done.
        if (kept) ctx.writing(encodeIpcOnPool(kept.ipc()), (bytes) => writtenTo(path, bytes));
        else writeParquetFile(path, crossSectionTable(rows as unknown as CrossSection[], features));
        rows = [];
      });
      const features = ctx.inputs['records']?.[0]?.features ?? [];
      const conforms = (r: unknown): boolean => {
        const names = (r as CrossSection).features;
        if (names.length === features.length && names.every((f, j) => f === features[j])) return true;
        ctx.deadLetter(r, `cross-section columns [${names.join(', ')}] differ from the declared [${features.join(', ')}]`);
        return false;
      };
      return handle<never>(ctx, [
        on(records, (batch) => {
          if (columns) columns.append(batch as readonly Record<string, unknown>[]);
          else for (const r of batch) if (conforms(r)) rows.push(r as Record<string, unknown>);
        }),
      ]);
    },
});
