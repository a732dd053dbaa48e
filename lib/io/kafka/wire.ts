/**
 * The Confluent wire format of a record value: magic byte 0, the writer schema's registry id as a
 * big-endian int32, then the Avro binary body.
 */
export const MAGIC = 0;
export const HEADER_BYTES = 5;

export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  writeHeader(out, 0, schemaId);
  body.copy(out, HEADER_BYTES);
  return out;
}

/** Writes the 5-byte header at `pos` of `buf` (which must have room for it). */
export function writeHeader(buf: Buffer, pos: number, schemaId: number): void {
  buf[pos] = MAGIC;
  buf.writeInt32BE(schemaId, pos + 1);
}

/** The schema id of a framed value, or why the bytes are not framed. */
export function schemaIdOf(value: Buffer): { id: number } | { error: string } {
  if (value.length < HEADER_BYTES) return { error: `value is ${value.length} byte(s), shorter than the 5-byte Confluent header` };
  if (value[0] !== MAGIC) return { error: `magic byte is ${value[0]}, expected ${MAGIC} (not Confluent wire format)` };
  return { id: value.readInt32BE(1) };
}
