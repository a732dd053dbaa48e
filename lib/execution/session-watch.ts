/**
 * Whether an order-entry session has been down too long to say nothing: a venue that never answers
 * on its port (or is gone after a drop) kept a live run deciding orders that waited, unsent, with no
 * word until the run's end, and then went out late at once if the venue came. A login that drops
 * within SESSION_HELD_MS does not end an outage. Pure logic: the caller says when the session went
 * up or down and asks each second.
 */

/** How long the session may be down (connecting, or reconnecting after a drop) before it is said. */
export const SESSION_DOWN_MS = 5_000;
/**
 * How long a login must hold to end an outage: a venue that accepts each login and drops it at once
 * would otherwise never be said to be down, while no order reached it.
 */
export const SESSION_HELD_MS = 1_000;

export class SessionWatch {
  private downSince: number;
  private up = false;
  private upSince = 0;
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

  /** Logged in at `now` (the outage ends once this login has held SESSION_HELD_MS). */
  loggedIn(now: number): void {
    this.up = true;
    this.upSince = now;
  }

  /**
   * The connection lost at `now` (the client connects again by itself): a new outage after a session
   * that held SESSION_HELD_MS, else the one before the login goes on. `back` when the session that
   * held ended an outage that was said and no check saw it yet (it held between two looks).
   */
  lost(now: number): { back: number } | undefined {
    let back: { back: number } | undefined;
    if (this.up && now - this.upSince >= SESSION_HELD_MS) {
      if (this.said) back = { back: this.upSince - this.downSince };
      this.downSince = now;
      this.said = false;
    }
    this.up = false;
    return back;
  }

  /**
   * At `now`: `down` (ms) once the session has been down past the bound, once per outage; `back`
   * once a login holds after an outage that was said, with how long it lasted.
   */
  check(now: number): { down: number } | { back: number } | undefined {
    if (this.up) {
      if (!this.said || now - this.upSince < SESSION_HELD_MS) return undefined;
      this.said = false; // the outage is over
      return { back: this.upSince - this.downSince };
    }
    if (this.said || now - this.downSince < this.downMs) return undefined;
    this.said = true;
    return { down: now - this.downSince };
  }
}
