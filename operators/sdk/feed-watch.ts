/**
 * What a live MoldUDP64 feed's counters say while the run goes: a feed that went silent (the venue
 * killed, or started again on the same ports without knowing this subscriber) or that waits behind
 * a gap no re-request fills. Either stops the rows for good while the graph goes on deciding on the
 * last book it saw; the counters alone said nothing until the run's end. Pure logic, fed the
 * counters by {@link watchFeed} each second.
 */
import { everyWallInterval, wallMs } from '../../lib/core/wall-watch.ts';
import type { SourceContext } from './context.ts';

/** The feed's counters it reads (colo's ItchFeed stats()). */
export interface FeedCounters {
  /** Datagrams received, heartbeats included. */
  readonly packets: number;
  readonly delivered: number;
  readonly requests: number;
  readonly nextSequence: number;
  readonly ended: boolean;
}

/** A MoldUDP64 publisher sends a heartbeat each second when idle: this many seconds without a datagram is a feed gone. */
export const FEED_SILENT_MS = 5_000;

/** Looks this far apart (the watch looks each second) mean the event loop was held between them. */
const LATE_MS = 3_000;

export type FeedNews = { alert: string } | { info: string };

export class FeedWatch {
  private last: FeedCounters | undefined;
  private lastAt = 0;
  /** Wall ms of the last datagram seen. */
  private heardAt = 0;
  /** Wall ms since when the feed re-requests and delivers nothing (held behind a gap), if it does. */
  private heldSince: number | undefined;
  private silent = false;
  private stalled = false;

  constructor(
    private readonly where: string,
    private readonly silentMs = FEED_SILENT_MS,
  ) {}

  /** The counters at wall time `now` (ms): what to say, if anything. */
  observe(now: number, c: FeedCounters): FeedNews[] {
    const before = this.last;
    const lateBy = now - this.lastAt;
    this.last = c;
    this.lastAt = now;
    // The first look, or one long after the last: the event loop was held (a long step), and with
    // it the reading of the socket, so what the counters missed is not the feed's silence.
    if (!before || lateBy > LATE_MS) {
      this.heardAt = now;
      this.heldSince = undefined;
      return [];
    }
    if (c.ended) return [];
    const news: FeedNews[] = [];
    if (c.packets !== before.packets) {
      if (this.silent) news.push({ info: `${this.where}: datagrams again after ${seconds(now - this.heardAt)} s of silence` });
      this.silent = false;
      this.heardAt = now;
    } else if (!this.silent && c.packets > 0 && now - this.heardAt >= this.silentMs) {
      this.silent = true;
      news.push({
        alert: `${this.where}: no datagram for ${seconds(now - this.heardAt)} s (not even a heartbeat) after ${c.packets}: the venue stopped, or was started again and does not know this feed; no row reaches the graph until it comes back`,
      });
    }
    if (c.delivered !== before.delivered) {
      if (this.stalled)
        news.push({ info: `${this.where}: messages delivered again after ${seconds(now - this.heldSince!)} s behind a gap` });
      this.heldSince = undefined;
      this.stalled = false;
    } else if (c.requests !== before.requests) this.heldSince ??= now; // re-requests, and nothing delivered: a gap
    if (this.heldSince !== undefined && !this.stalled && now - this.heldSince >= this.silentMs) {
      this.stalled = true;
      news.push({
        alert: `${this.where}: ${seconds(now - this.heldSince)} s waiting for message ${c.nextSequence}, re-requested ${c.requests} times in all without an answer: the messages after it are held, and no row reaches the graph until it comes`,
      });
    }
    return news;
  }
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** Reads `counters` each second (wall time) into `watch`, its news to the node's alerts and log; returns the stop. */
export function watchFeed(counters: () => FeedCounters, watch: FeedWatch, ctx: SourceContext, everyMs = 1_000): () => void {
  const look = (now: number): void => {
    for (const n of watch.observe(now, counters())) {
      if ('alert' in n) ctx.alert(n.alert);
      else ctx.log.info(n.info);
    }
  };
  look(wallMs());
  return everyWallInterval(look, everyMs);
}
