/**
 * Whether an order-entry session has been down too long to say nothing: a venue that never answers
 * on its port (or is gone after a drop) kept a live run deciding orders that waited, unsent, with no
 * word until the run's end, and then went out late at once if the venue came. Pure logic: the
 * caller says when the session went up or down and asks each second.
 */

/** How long the session may be down (connecting, or reconnecting after a drop) before it is said. */
export const SESSION_DOWN_MS = 5_000;

export class SessionWatch {
  private downSince: number;
  private up = false;
  private said = false;

  constructor(
    now: number,
    private readonly downMs = SESSION_DOWN_MS,
  ) {
    this.downSince = now;
  }

  /** Connecting from `now` on (a resumed run, once it has taken its dead run's capture again). */
  connecting(now: number): void {
    this.downSince = now;
    this.up = false;
    this.said = false;
  }

  /** Logged in at `now`: what to log, when the session had been said to be down. */
  loggedIn(now: number): string | undefined {
    const was = this.said ? `logged in again after ${((now - this.downSince) / 1000).toFixed(1)} s without a session` : undefined;
    this.up = true;
    this.said = false;
    return was;
  }

  /** The connection lost at `now` (the client connects again by itself). */
  lost(now: number): void {
    if (this.up) this.downSince = now;
    this.up = false;
  }

  /** At `now`: the ms the session has been down, once it is over the bound (then once per outage). */
  check(now: number): number | undefined {
    if (this.up || this.said || now - this.downSince < this.downMs) return undefined;
    this.said = true;
    return now - this.downSince;
  }
}
