/**
 * FeedWatch: a live feed that goes silent, or that holds its datagrams behind a gap no re-request
 * fills, is an alert once (and news again when it recovers); a quiet market (heartbeats only), a
 * gap filled within the bound and a feed that ended are not.
 */
import { describe, expect, it } from 'vitest';
import { type FeedCounters, FeedWatch } from '../../../operators/sdk/feed-watch.ts';

const counters = (over: Partial<FeedCounters> = {}): FeedCounters => ({
  packets: 10,
  delivered: 50,
  requests: 1,
  nextSequence: 51,
  ended: false,
  ...over,
});

/** Feeds `watch` one observation a second from `from`, each made by `at(second)`; returns what it said, by second. */
function run(watch: FeedWatch, seconds: number, at: (s: number) => Partial<FeedCounters>): [number, string][] {
  const said: [number, string][] = [];
  for (let s = 0; s <= seconds; s++)
    for (const n of watch.observe(s * 1000, counters(at(s)))) said.push([s, 'alert' in n ? `alert: ${n.alert}` : `info: ${n.info}`]);
  return said;
}

describe('FeedWatch', () => {
  // Datagrams that deliver nothing without a re-request (heartbeats, a duplicate) are no gap.
  it('says nothing of a quiet market: heartbeats each second, nothing to deliver', () => {
    expect(run(new FeedWatch('feed'), 20, (s) => ({ packets: 10 + s }))).toEqual([]);
  });

  it('alerts once when no datagram came for 5 s, and says when they come again', () => {
    const said = run(new FeedWatch('feed'), 20, (s) => (s <= 3 || s >= 15 ? { packets: 10 + s } : { packets: 13 }));
    expect(said).toEqual([
      [
        8,
        'alert: feed: no datagram for 5.0 s (not even a heartbeat) after 13: the venue stopped, or was started again and does not know this feed; no row reaches the graph until it comes back',
      ],
      [15, 'info: feed: datagrams again after 12.0 s of silence'],
    ]);
  });

  it('alerts once when data comes and nothing is delivered for 5 s (a gap no re-request fills), and when it is filled', () => {
    // Delivered up to second 2; from second 3 on data datagrams arrive and are held until second 12.
    const said = run(new FeedWatch('feed'), 14, (s) => ({
      packets: 10 + s,
      requests: s < 3 ? 1 : s,
      delivered: s <= 2 ? 50 + s : s < 12 ? 52 : 52 + s,
    }));
    expect(said).toEqual([
      [
        8,
        'alert: feed: 5.0 s waiting for message 51, re-requested 8 times in all without an answer: the messages after it are held, and no row reaches the graph until it comes',
      ],
      [12, 'info: feed: messages delivered again after 9.0 s behind a gap'],
    ]);
  });

  it('says nothing after the event loop was held 6 s (the socket unread meanwhile), and counts silence afresh', () => {
    const watch = new FeedWatch('feed');
    const said: string[] = [];
    for (const [at, packets] of [
      [0, 10],
      [1000, 11],
      [7000, 11], // the first look after a 6 s step: no datagram read meanwhile
      [8000, 20],
    ] as const)
      for (const n of watch.observe(at, counters({ packets }))) said.push('alert' in n ? n.alert : n.info);
    expect(said).toEqual([]);
  });

  it('says nothing of a gap filled within the bound, nor of a feed that ended', () => {
    expect(run(new FeedWatch('feed'), 10, (s) => ({ packets: 10 + s, delivered: s === 3 || s === 4 ? 50 : 50 + s }))).toEqual([]);
    expect(run(new FeedWatch('feed'), 20, (s) => ({ ended: s > 2 }))).toEqual([]);
  });
});
