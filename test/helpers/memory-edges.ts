/**
 * An in-memory transport for process groups (see pipelines/runtime/group/edges.ts): topics are
 * arrays per partition, readers follow them with a cursor. Lets a test run two groups of a topology
 * concurrently in one process and check the event-time protocol without a broker.
 */
import type { EdgeFactory, Headers, InboundItem } from '../../pipelines/runtime/group/edges.ts';

/**
 * `refuse`: records a reader sends to dead letters instead of delivering (as the Kafka reader does with
 * a value that does not decode), by the reader's count of records read so far.
 */
export function memoryEdges(options: { refuse?: (nth: number) => boolean } = {}): EdgeFactory & { topics: Map<string, InboundItem[][]> } {
  const topics = new Map<string, InboundItem[][]>();
  const listeners = new Set<() => void>();
  const topic = (name: string, partitions: number): InboundItem[][] => {
    let t = topics.get(name);
    if (!t) topics.set(name, (t = Array.from({ length: partitions }, () => [])));
    return t;
  };
  const wake = (): void => {
    for (const l of [...listeners]) l();
  };
  const hash = (key: string): number => {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
    return Math.abs(h);
  };
  return {
    topics,
    async outbound({ topic: name, partitions }) {
      const parts = topic(name, partitions);
      return {
        async write(records: readonly { key: string; value: unknown; headers: Headers }[]) {
          for (const r of records)
            parts[hash(r.key) % partitions]!.push({
              kind: 'record',
              partition: hash(r.key) % partitions,
              value: structuredClone(r.value),
              headers: r.headers,
            });
          wake();
        },
        async writeControl(control: { watermark: number } | { end: true }, headers: Headers) {
          parts.forEach((p, i) => p.push({ kind: 'control', partition: i, ...control, headers }));
          wake();
        },
        async close() {},
      };
    },
    async inbound({ topic: name, partitions }) {
      const parts = topic(name, partitions);
      const cursors = parts.map(() => 0);
      let closed = false;
      let read = 0;
      let refused = 0;
      return {
        async next() {
          for (;;) {
            const out: InboundItem[] = [];
            parts.forEach((p, i) => {
              for (let k = cursors[i]!; k < p.length; k++) {
                const item = p[k]!;
                if (item.kind === 'record' && options.refuse?.(read++)) refused++;
                else out.push(item); // not push(...): a long backlog overflowed the stack
              }
              cursors[i] = p.length;
            });
            if (out.length > 0 || closed) return out;
            await new Promise<void>((resolve) => {
              const l = (): void => {
                listeners.delete(l);
                resolve();
              };
              listeners.add(l);
            });
          }
        },
        async commit() {},
        deadLettered: () => refused,
        async close() {
          closed = true;
          wake();
        },
      };
    },
  };
}
