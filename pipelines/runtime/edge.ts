/**
 * An edge of the in-process graph: an RxJS Subject that also hands batches straight to the operators
 * reading it. Operators' inputs (`on`/`onColumns` in operators/sdk/handle.ts) register as listeners,
 * called in the order they registered (the nodes' topological order) without RxJS's per-delivery
 * wrapping, which costs more than the work on a three-record slice of quotes; anything else (taps,
 * counters, Kafka publishers, tests) subscribes as to any Subject and is called after the listeners.
 */
import { Observable, Subject } from 'rxjs';
import type { Listenable, Listener } from '../../operators/sdk/handle.ts';

export class EdgeSubject<T> extends Subject<T> {
  private listeners: Listener<T>[] = [];
  /** After complete or error, nothing more reaches the listeners (as with a Subject's subscribers). */
  private ended = false;

  /** The edge as its readers see it: an Observable that operators can also listen to. */
  readonly stream: Observable<T> & Listenable<T>;

  constructor() {
    super();
    const stream = new Observable<T>((subscriber) => this.subscribe(subscriber)) as Observable<T> & Listenable<T>;
    stream.listen = (listener) => this.listen(listener);
    this.stream = stream;
  }

  listen(listener: Listener<T>): { unsubscribe(): void } {
    this.listeners = [...this.listeners, listener];
    return {
      unsubscribe: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  }

  override next(value: T): void {
    if (this.ended) return;
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.next(value);
    if (this.observed) super.next(value);
  }

  override error(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    for (const l of this.listeners) l.error(err);
    super.error(err);
  }

  override complete(): void {
    if (this.ended) return;
    this.ended = true;
    for (const l of this.listeners) l.complete();
    super.complete();
  }
}
