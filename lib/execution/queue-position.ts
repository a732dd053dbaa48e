/**
 * Where a resting limit order stands in its price level's queue when the data shows only the size at
 * the level (top of book), as hftbacktest's queue models do (the idea; this code is ours). `ahead` is
 * the displayed size in front of the order: set when the order joins a visible level (everything
 * shown is ahead: it joins at the back), lowered by trades at the level, and by cancels according to
 * the model:
 *
 * - `conservative`: a cancel is always behind the order, so only trades advance it (ahead is only
 *   capped by the size the level still shows);
 * - `probabilistic`: a fall of the level's size that the trades seen since the last quote do not
 *   explain is cancels, of which the share f(ahead) / (f(ahead) + f(behind)) was ahead of the order,
 *   with f(x) = x^n (`power`): all of them when it has just joined (behind = 0), none at the front.
 *
 * Sizes the order itself added are not in the data (the market did not see it), so the level's
 * displayed size is all other orders'.
 */
export type QueueModel = 'conservative' | 'probabilistic';

export interface QueuePosition {
  /** Shares ahead; undefined while the order's level has not been visible since it arrived. */
  ahead: number | undefined;
  /** The level's displayed size at the last quote that showed it (undefined: not shown then). */
  shown: number | undefined;
  /** Shares traded at the level since that quote (their fall in size is not cancels). */
  traded: number;
}

export const joinQueue = (shown: number | undefined): QueuePosition => ({ ahead: shown, shown, traded: 0 });

/**
 * A trade of `size` at the order's level, hitting its side: the shares of it that reach the order
 * (0 while others are ahead). Mutates `q`.
 */
export function tradeAtLevel(q: QueuePosition, size: number): number {
  q.traded += size;
  if (q.ahead === undefined) return 0;
  const reach = Math.max(0, size - q.ahead);
  q.ahead = Math.max(0, q.ahead - size);
  return reach;
}

/**
 * A quote: `level` is the displayed size at the order's price when the touch is at it, `'behind'`
 * when the touch is worse than the order's price (nobody is left ahead: the order would be the best),
 * `'hidden'` when the touch is better (the level is not shown). Mutates `q`.
 */
export function quoteAtLevel(q: QueuePosition, level: number | 'behind' | 'hidden', model: QueueModel, power: number): void {
  if (level === 'behind') {
    q.ahead = 0;
    q.shown = undefined;
    q.traded = 0;
    return;
  }
  if (level === 'hidden') {
    q.shown = undefined;
    q.traded = 0;
    return;
  }
  if (q.ahead === undefined) q.ahead = level;
  else if (q.shown !== undefined && model === 'probabilistic') {
    const cancelled = Math.max(0, q.shown - level - q.traded);
    if (cancelled > 0) {
      const behind = Math.max(0, q.shown - q.ahead);
      const front = q.ahead ** power;
      const back = behind ** power;
      const share = front + back > 0 ? front / (front + back) : 0;
      q.ahead = Math.max(0, q.ahead - cancelled * share);
    }
  }
  q.ahead = Math.min(q.ahead, level);
  q.shown = level;
  q.traded = 0;
}
