/**
 * The readers behind `source.itch`. Live: colo's ItchFeed (a native thread that joins the venue's
 * MoldUDP64 feed, re-requests what it missed and keeps the order book) hands over the top-of-book
 * changes and prints as typed arrays; from a file: colo's ItchFile replays it through the same book.
 * Either way the arrays become column batches of Quote or Trade records with no per-message
 * crossing of the native boundary. Exchange time (ns since New York midnight) becomes ts_event on
 * the session's date; ts_known is the feed thread's receive clock (a file has none: ts_event). A
 * top with an empty side, or crossed, is not a quote the graph can use: it is counted
 * (`one_sided`), not sent. Messages after End of Messages (System Event 'C', the day's last message
 * by the ITCH 5.0 spec) are counted (`after_end`), not applied to the book, and said once as the
 * source closes or the file ends, with where the first one was.
 */
import { ColumnBatch, type StringColumn } from '../../lib/core/column-batch.ts';
import { DataError } from '../../lib/core/errors.ts';
import type { Micros } from '../../lib/core/time.ts';
import type { ItchFeed, ItchFile, ItchQuoteColumns, ItchTradeColumns } from '../../native/colo/index.ts';
import { PackedTaker } from '../../native/colo/take-packed.ts';
import type { Quote, Trade } from '../../schemas/types.generated.ts';
import type { SourceContext } from './context.ts';
import { FeedWatch, watchFeed } from './feed-watch.ts';
import { soundRows } from './replay.ts';
import type { SourceReader } from './spec.ts';

const AGGRESSORS = ['BUY', 'SELL', 'UNKNOWN'] as const;

/** ItchFile's columns into column batches of the graph's records; `id` is the message's number in the file. */
class Converter {
  /** One growing dictionary, so every batch of the source shares it. */
  private readonly dictionary: string[] = [];
  private readonly byLocate = new Map<number, number>();
  private seq = 0;

  constructor(
    private readonly symbolOf: (locate: number) => string | undefined,
    private readonly midnight: Micros,
    private readonly oneSided: { inc(by?: number): void },
  ) {}

  quotes(q: ItchQuoteColumns, known: Float64Array | undefined): ColumnBatch<Quote> | undefined {
    const n = q.locate.length;
    // The rows to send, when some are not (usually none is dropped: then no copy at all).
    let keep: Uint32Array | undefined;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const twoSided = q.bid_size[i]! > 0 && q.ask_size[i]! > 0 && q.bid[i]! <= q.ask[i]!;
      if (!twoSided && !keep) {
        keep = new Uint32Array(n);
        for (let k = 0; k < i; k++) keep[k] = k;
        kept = i;
      } else if (twoSided && keep) keep[kept++] = i;
    }
    if (keep) {
      this.oneSided.inc(n - kept);
      keep = keep.subarray(0, kept);
    }
    if ((keep ? kept : n) === 0) return undefined;
    const tsEvent = this.eventTimes(q.ts_ns);
    const all = ColumnBatch.of<Quote>(n, {
      ts_event: tsEvent,
      ts_known: known ?? tsEvent,
      symbol: this.symbols(q.locate),
      seq: new Float64Array(n),
      id: q.message,
      version: new Int32Array(n).fill(1),
      bid: q.bid,
      ask: q.ask,
      bid_size: q.bid_size,
      ask_size: q.ask_size,
    });
    const batch = keep ? all.pick(keep) : all;
    const seq = batch.columns.seq as Float64Array;
    for (let i = 0; i < batch.length; i++) seq[i] = ++this.seq;
    return batch;
  }

  trades(t: ItchTradeColumns, known: Float64Array | undefined): ColumnBatch<Trade> | undefined {
    const n = t.locate.length;
    if (n === 0) return undefined;
    const seq = new Float64Array(n);
    for (let i = 0; i < n; i++) seq[i] = ++this.seq;
    const aggressor = new Int32Array(n);
    for (let i = 0; i < n; i++) aggressor[i] = t.aggressor[i] === 66 ? 0 : t.aggressor[i] === 83 ? 1 : 2;
    const tsEvent = this.eventTimes(t.ts_ns);
    return ColumnBatch.of<Trade>(n, {
      ts_event: tsEvent,
      ts_known: known ?? tsEvent,
      symbol: this.symbols(t.locate),
      seq,
      id: t.message,
      version: new Int32Array(n).fill(1),
      price: t.price,
      size: t.shares,
      aggressor: { codes: aggressor, dictionary: AGGRESSORS } as StringColumn<Trade['aggressor']>,
    });
  }

  private eventTimes(ns: Float64Array): Float64Array {
    const out = new Float64Array(ns.length);
    for (let i = 0; i < ns.length; i++) out[i] = this.midnight + Math.floor(ns[i]! / 1000);
    return out;
  }

  private symbols(locate: Uint16Array): StringColumn {
    const codes = new Int32Array(locate.length);
    for (let i = 0; i < locate.length; i++) {
      const l = locate[i]!;
      let code = this.byLocate.get(l);
      if (code === undefined) {
        code = this.dictionary.length;
        this.dictionary.push(this.symbolOf(l) ?? `LOCATE${l}`);
        this.byLocate.set(l, code);
      }
      codes[i] = code;
    }
    return { codes, dictionary: this.dictionary };
  }
}

/**
 * A live feed: waits for rows, ends once the venue's End of Session has been delivered. The feed
 * must be made with `twoSidedOnly`, the session's `midnightUs` and `rows` for the schema: it then
 * fills every column the records need (exchange time in µs, symbol codes = locates), so a batch
 * wraps the arrays as they are; only seq and version are made here. A record's `id` is the
 * MoldUDP64 sequence number of the ITCH message that made it: its identity on the venue's feed.
 */
export function openItchFeedReader<T extends Quote | Trade>(
  feed: ItchFeed,
  schema: 'Quote' | 'Trade',
  ctx: SourceContext,
): SourceReader<T> {
  const oneSided = ctx.metrics.counter('one_sided');
  /** Symbol names by locate (the codes the feed hands over). */
  const dictionary: string[] = [];
  const named = (codes: Int32Array): StringColumn => {
    let missing = false;
    for (let i = 0; i < codes.length && !missing; i++) missing = dictionary[codes[i]!] === undefined;
    if (missing) {
      const names = feed.symbols();
      let top = dictionary.length - 1;
      for (let i = 0; i < codes.length; i++) top = Math.max(top, codes[i]!);
      for (let l = 0; l <= top; l++) dictionary[l] = names[l] ?? dictionary[l] ?? `LOCATE${l}`;
    }
    return { codes, dictionary };
  };
  let seq = 0;
  const seqs = (n: number): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = ++seq;
    return out;
  };
  const batchOf = (got: ReturnType<ItchFeed['take']>): ColumnBatch<Quote> | ColumnBatch<Trade> | undefined => {
    if (schema === 'Quote') {
      const q = got.quotes;
      const n = q.locate.length;
      if (n === 0) return undefined;
      const s = seqs(n);
      return ColumnBatch.of<Quote>(n, {
        ts_event: q.ts_event_us,
        ts_known: q.ts_known_us,
        symbol: named(q.symbol_code),
        seq: s,
        id: q.mold_seq,
        version: new Int32Array(n).fill(1),
        bid: q.bid,
        ask: q.ask,
        bid_size: q.bid_size,
        ask_size: q.ask_size,
      });
    }
    const t = got.trades;
    const n = t.locate.length;
    if (n === 0) return undefined;
    const s = seqs(n);
    const aggressor = new Int32Array(n);
    for (let i = 0; i < n; i++) aggressor[i] = t.aggressor[i] === 66 ? 0 : t.aggressor[i] === 83 ? 1 : 2;
    return ColumnBatch.of<Trade>(n, {
      ts_event: t.ts_event_us,
      ts_known: t.ts_known_us,
      symbol: named(t.symbol_code),
      seq: s,
      id: t.mold_seq,
      version: new Int32Array(n).fill(1),
      price: t.price,
      size: t.shares,
      aggressor: { codes: aggressor, dictionary: AGGRESSORS } as StringColumn<Trade['aggressor']>,
    });
  };
  /** next()'s wait, and the live driver's onReady callback. */
  let wake: (() => void) | undefined;
  let listener: (() => void) | undefined;
  /**
   * Rows may have arrived since the last take() (the feed calls back on this thread, between our
   * steps, when it adds rows): until it does, a take() would find nothing, so none is made.
   */
  let signalled = true;
  let closed = false;
  let counted = 0;
  feed.onData(() => {
    signalled = true;
    const w = wake;
    wake = undefined;
    w?.();
    listener?.();
  });
  // What the feed goes through, in the run's metrics: losses found and filled, and errors. Read from
  // the native feed when the run reports them (a status line, a scrape), not counted per datagram.
  let final: ReturnType<ItchFeed['stats']> | undefined;
  const stats = (): ReturnType<ItchFeed['stats']> => final ?? feed.stats();
  for (const [name, read] of [
    ['gaps', () => stats().gaps],
    ['rerequests', () => stats().requests],
    ['duplicates', () => stats().duplicates],
    ['messages', () => stats().delivered],
    ['feed_errors', () => stats().errors],
    // Datagrams of another MoldUDP64 session (a venue started again mid-run): dropped, and the feed then
    // waits for its own session's, so a count here means a feed that stopped delivering.
    ['session_changes', () => stats().sessionChanges],
    ['book_errors', () => stats().bookErrors],
    ['after_end', () => stats().afterEnd],
    ['buffer_overflows', () => stats().bufferOverflow],
  ] as const)
    ctx.metrics.observedCounter(name, read);
  // A feed gone silent or held behind a gap stops the rows for good: said as it happens, and in the summary.
  const stopWatching = watchFeed(stats, new FeedWatch("the venue's MoldUDP64 feed"), ctx);
  // How far the venue's clock (a row's ts_event, its exchange time) leads the run's, in s (0 when
  // behind): a venue playing a past day at --speed that started before the run is ahead by the time
  // between the starts times the speed, and its rows are then known, by their stamps, before they
  // happened (docs/live.md); a shared `--open-at` keeps it at the feed's latency times the speed. A
  // gauge, not an alert.
  const venueLead = ctx.metrics.gauge('venue_clock_lead_s');
  /** The last take() said End of Session: its rows were the last. */
  let ended = false;
  const taker = new PackedTaker(feed);
  const poll = (): ColumnBatch<T> | null | undefined => {
    if (closed || ended) return null;
    if (!signalled) return undefined;
    signalled = false;
    const got = taker.take();
    oneSided.inc(got.oneSided - counted);
    counted = got.oneSided;
    ended = got.ended;
    const batch = batchOf(got);
    // The book takes what the venue sends: a price of 0 is a row to refuse, as a replay refuses it.
    const sound = batch && soundRows(schema, batch as unknown as ColumnBatch<T>, ctx);
    if (sound && sound.length > 0) {
      const last = (sound.columns.ts_event as Float64Array)[sound.start + sound.length - 1]!;
      venueLead.set(Math.max(0, Math.round((last - ctx.clock.now()) / 1e6)));
      return sound;
    }
    return ended ? null : undefined;
  };
  const ready = (): Promise<void> =>
    signalled || closed || ended
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          wake = resolve;
        });
  return {
    poll,
    onReady(callback) {
      listener = callback;
    },
    async next() {
      for (;;) {
        const batch = poll();
        if (batch !== undefined) return batch;
        await ready();
      }
    },
    async close() {
      closed = true;
      stopWatching();
      wake?.();
      final = feed.stats(); // read before the native feed is freed: the counters keep answering
      feed.close();
      // Any peer can send to the feed's port: another session's datagrams are not the venue's doing
      // unless the rows stopped (which the feed watch says as it happens).
      if (final.sessionChanges > 0)
        ctx.log.warn(
          `${final.sessionChanges} datagram(s) of another MoldUDP64 session were dropped (another sender, or a venue started again, whose new session this feed does not follow)`,
        );
      if (final.errors > 0)
        ctx.log.warn(
          `${final.errors} datagram(s) or message(s) of the feed could not be read and were dropped (feed_errors: malformed MoldUDP64 or ITCH)`,
        );
      if (final.afterEnd > 0)
        ctx.log.warn(afterEndWarning(final.afterEnd, `the first at MoldUDP64 sequence ${final.afterEndFirstSequence}`));
    },
  };
}

/**
 * The one line said of messages after End of Messages, live and from a file (`where`: the first one's
 * MoldUDP64 sequence or byte offset).
 */
export function afterEndWarning(count: number, where: string): string {
  return (
    `${count} ITCH message(s) after End of Messages (System Event 'C'), ${where}: counted, not applied to the book (no rows from them); ` +
    'ITCH 5.0 sends nothing after End of Messages, the last message of the day'
  );
}

/** An ITCH file, replayed through the book in steps of `rowsPerStep` rows. */
export function openItchFileReader<T extends Quote | Trade>(
  file: ItchFile,
  path: string,
  schema: 'Quote' | 'Trade',
  midnight: Micros,
  ctx: SourceContext,
  rowsPerStep = 65_536,
): SourceReader<T> {
  let names = new Map<number, string>();
  const symbolOf = (l: number): string | undefined => {
    if (!names.has(l)) names = new Map(file.summary().symbols.map((s) => [s.locate, s.symbol]));
    return names.get(l);
  };
  const convert = new Converter(symbolOf, midnight, ctx.metrics.counter('one_sided'));
  const afterEnd = ctx.metrics.counter('after_end');
  let counted = 0;
  let warned = false;
  let done = false;
  return {
    async next() {
      while (!done) {
        const step = file.next(rowsPerStep);
        done = step.done;
        afterEnd.inc(step.afterEnd - counted);
        counted = step.afterEnd;
        const batch = schema === 'Quote' ? convert.quotes(step.quotes, undefined) : convert.trades(step.trades, undefined);
        const sound = batch && soundRows(schema, batch as unknown as ColumnBatch<T>, ctx);
        if (sound && sound.length > 0) return sound;
      }
      // A damaged file fails the run, as a corrupt Parquet file does: its book cannot be trusted.
      const summary = file.summary();
      const e = summary.frameErrors[0];
      if (e) throw new DataError(path, `${e.count} × ${e.kind} (first at byte ${e.firstOffset}): not a well-formed ITCH 5.0 file`);
      if (summary.afterEnd && !warned) {
        warned = true;
        ctx.log.warn(`${path}: ${afterEndWarning(summary.afterEnd.count, `the first at byte ${summary.afterEnd.firstOffset}`)}`);
      }
      return null;
    },
    async close() {},
  };
}
