/**
 * The hot tier's layout in Redis. Records of a dataset go to one stream per symbol,
 * `alpha:<dataset>:<symbol>`, one entry per record with a single field `v`: the record in Avro binary
 * (the dataset's schema, named in the hash `alpha:<dataset>` under `schema`). An entry's id is
 * `<ts_known in ms>-<n>`, n counting the records of that stream with the same ms in arrival order,
 * so the same records in the same order get the same ids: writing them again adds nothing (Redis
 * refuses an id not above the stream's last), and readers see ts_known order within a stream.
 * The latest record of each symbol is also kept as JSON in the hash `alpha:<dataset>:latest`
 * (dashboards read it without decoding Avro).
 */
import type { SchemaName } from '../../../schemas/types.generated.ts';

export const streamKey = (dataset: string, symbol: string): string => `alpha:${dataset}:${symbol}`;
export const metaKey = (dataset: string): string => `alpha:${dataset}`;
export const latestKey = (dataset: string): string => `alpha:${dataset}:latest`;

/** Stream-entry ids from ts_known, strictly increasing per stream. */
export class EntryIds {
  private readonly last = new Map<string, { ms: number; n: number }>();

  /** The id of the next record of `key` known at `tsKnownUs` (µs since the epoch). */
  next(key: string, tsKnownUs: number): string {
    const ms = Math.floor(tsKnownUs / 1000);
    const prev = this.last.get(key);
    // A record stamped before the previous one of its stream (not in ts_known order) stays after it.
    const at = prev && prev.ms >= ms ? { ms: prev.ms, n: prev.n + 1 } : { ms, n: 0 };
    this.last.set(key, at);
    return `${at.ms}-${at.n}`;
  }
}

/** The ms part of an entry id. */
export const idMs = (id: string): number => Number(id.slice(0, id.indexOf('-')));

export interface HotRecord {
  symbol: string;
  ts_known: number;
}

export type HotSchema = Extract<SchemaName, 'Quote' | 'Trade' | 'Bar' | 'Fill' | 'Order' | 'OrderState'>;
export const HOT_SCHEMAS = ['Quote', 'Trade', 'Bar', 'Fill', 'Order', 'OrderState'] as const satisfies readonly HotSchema[];
