/**
 * The adapter's consumer: kafkajs in a consumer group, turned from push into pull. Each fetched batch
 * waits in a queue until `next()` takes it (so at most one batch per partition is buffered), offsets
 * are committed only by `commit()`, never automatically.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Batch, Consumer, IHeaders } from 'kafkajs';
import { KafkaEdgeError } from './errors.ts';
import type { KafkaSettings } from './settings.ts';

export interface RawRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

interface Waiting { batch: Batch; release: () => void }

export class PullConsumer {
  private readonly queue: Waiting[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private crashed: Error | undefined;

  private constructor(readonly topic: string, private readonly consumer: Consumer) {}

  static async open(s: KafkaSettings, o: { topic: string; groupId: string; fromBeginning: boolean; partitions: number }): Promise<PullConsumer> {
    const kafka = new Kafka({ clientId: `${s.clientId}-reader`, brokers: s.brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({
      groupId: o.groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 200,
      maxBytesPerPartition: 4 << 20, maxBytes: 32 << 20, allowAutoTopicCreation: false,
    });
    const self = new PullConsumer(o.topic, consumer);
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [o.topic], fromBeginning: o.fromBeginning });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw new KafkaEdgeError(`consumer group "${o.groupId}" on topic "${o.topic}" (${s.brokers.join(',')}): ${err instanceof Error ? err.message : String(err)}`);
    }
    // A retriable crash (the broker restarting, its group coordinator still loading) restarts the
    // consumer by itself, from the committed offsets (at least once: the edge subscriber drops repeats).
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) return;
      self.crashed = new KafkaEdgeError(`consumer of "${o.topic}" crashed: ${String(e.payload.error)}`);
      self.wake?.();
    });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: Math.max(1, Math.min(o.partitions, 32)),
      eachBatch: async ({ batch, heartbeat }) => {
        if (batch.isEmpty() || self.closed) return;
        await new Promise<void>((release) => {
          // kafkajs heartbeats only between batches: keep the membership while the batch waits
          const beat = setInterval(() => { heartbeat().catch(() => undefined); }, 2_000);
          self.queue.push({ batch, release: () => { clearInterval(beat); release(); } });
          self.wake?.();
        });
      },
    });
    return self;
  }

  /** The next fetched records (one or more batches, offset order within each partition); waits for them. */
  async next(): Promise<RawRecord[]> {
    while (this.queue.length === 0) {
      if (this.crashed) throw this.crashed;
      if (this.closed) throw new KafkaEdgeError(`reader of "${this.topic}" is closed`);
      await new Promise<void>((r) => { this.wake = r; });
      this.wake = undefined;
    }
    const taken = this.queue.splice(0);
    const out: RawRecord[] = [];
    for (const { batch } of taken) {
      for (const m of batch.messages) {
        out.push({ partition: batch.partition, offset: Number(m.offset), key: m.key ?? null, value: m.value ?? null, headers: headersOf(m.headers) });
      }
    }
    for (const w of taken) w.release();
    return out;
  }

  /** Commits `offsets` (partition → the offset of the next record to read). */
  async commit(offsets: ReadonlyMap<number, number>): Promise<void> {
    if (offsets.size === 0) return;
    await this.consumer.commitOffsets([...offsets].map(([partition, offset]) => ({ topic: this.topic, partition, offset: String(offset) })));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.queue.splice(0)) w.release();
    this.wake?.();
    await this.consumer.disconnect();
  }
}

function headersOf(h: IHeaders | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last !== undefined) out[k] = typeof last === 'string' ? Buffer.from(last) : last;
  }
  return out;
}
