/** The Avro type of a schema's records, timestamp-micros longs as plain JS numbers (as on Kafka edges). */
import avro from '../avro-bounds.ts';
import { avroSchema } from '../../../schemas/avro.ts';
import type { SchemaName } from '../../../schemas/types.generated.ts';

export function avroType(schema: SchemaName): avro.Type {
  return avro.Type.forSchema(avroSchema(schema) as avro.Schema, { wrapUnions: false });
}
