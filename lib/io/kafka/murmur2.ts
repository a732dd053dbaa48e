/**
 * Kafka's default partitioner for keyed records: murmur2 of the key bytes (seed 0x9747b28c), made
 * positive by masking the sign bit, modulo the partition count — as the Java client, librdkafka's
 * `murmur2_random` and kafkajs's default partitioner do, so every standard client puts a key on the
 * same partition.
 */

/** Kafka's murmur2 of `data`, as a signed 32-bit integer (Java `Utils.murmur2`). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = (data[i]! & 0xff) | ((data[i + 1]! & 0xff) << 8) | ((data[i + 2]! & 0xff) << 16) | ((data[i + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length % 4;
  if (rest === 3) h ^= (data[length4 + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[length4 + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[length4]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of `key` among `partitions` (Java `Utils.toPositive(murmur2(key)) % partitions`). */
export function partitionOf(key: string | Uint8Array, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
