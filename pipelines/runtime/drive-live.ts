/**
 * The live event loop (the wall-clock driver). Each arrival — a source's batch, a node's external
 * input (ctx.external), a wall-clock wake that releases due timers — is one step, taken one at a time
 * in arrival order by the backtest's rules (arrivals.ts), with the held work settled after each, and
 * written to the capture when there is one, so `driveCapture` can take the same steps again. The run
 * ends when every source has ended, when `signal` aborts, or at `until`: the sources stop, the graph
 * is given the `stop` command as a step (risk.pretrade cancels its working orders there), the nodes'
 * `beforeStop` hooks run (arrivals still delivered meanwhile: the venue's answers to those cancels),
 * the timers due by then fire, the streams complete and the end-of-run hooks run (sinks flush there).
 * A source that fails to close (a Kafka source whose broker is gone) fails the run after all that.
 */
import { ColumnBatch, type EdgeBatch, rowsOf } from '../../lib/core/column-batch.ts';
import type { LiveCommand } from '../../operators/sdk/context.ts';
import type { SourceRecord } from '../../operators/sdk/spec.ts';
import type { Micros } from '../../lib/core/time.ts';
import type { Capture, CaptureWriter } from '../io/capture-log.ts';
import { edgeId } from '../topology/model.ts';
import { ArrivalSteps } from './arrivals.ts';
import { SerialSteps } from './serial-steps.ts';
import { type BuiltGraph, type BuiltSource, closeSourcesQuietly } from './graph.ts';
import { type Resumed, retake } from './resume.ts';
import { driveWarmUp } from './warm-start.ts';
import type { TimeSource, WallClock } from './wall-clock.ts';
import { finishNodes, releaseNodes } from './finish-nodes.ts';

export interface LiveDriveOptions {
  /** Ends the run: the sources are closed and the run finishes as if they had ended. */
  signal?: AbortSignal;
  /** Ends the run at this wall time (e.g. the session's close), whatever the sources do. */
  until?: Micros;
  /** Needed with `until`: the time source of `clock`. */
  time?: TimeSource;
  /** Where the arrivals are written as they are delivered. */
  capture?: CaptureWriter;
  /** Where an operator's commands come in. */
  commands?: LiveCommands;
  /** Each external node's output ports (edge ids), for the capture: see liveCaptureNodes. */
  externalPorts?: ReadonlyMap<string, readonly string[]>;
  /** Sees each source batch when it is read, and how long it then waited for its step. */
  feed?: FeedObserver;
  /**
   * A warm start (warm-start.ts): these sources' history is delivered first, up to `end` (the last
   * warm session's close), then `go-live` is given and the live sources take over.
   */
  warm?: { sources: readonly BuiltSource[]; end: Micros; days: readonly string[] };
  /**
   * A resume (`alpha live --resume`): the capture of the run that died is taken again first, with
   * `recovery.active` set (order entry records, sends nothing); then each node's onRecovered hooks run
   * (order entry reconciles with the venue), and the live sources deliver only what the dead run's
   * capture does not hold already (resume.ts).
   */
  resume?: {
    capture: Capture;
    recovery: { active: boolean };
    /** A group's Kafka inputs: what the dead run took but had not committed comes again (resume.ts). */
    kafkaInputs?: ReadonlySet<string>;
    /** Runs once the capture was taken again, before the nodes' onRecovered hooks (a group's outputs publish what Kafka lacks). */
    afterRetake?: () => Promise<unknown>;
  };
}

export interface FeedObserver {
  /** A batch of `records` read from `source`. */
  read(source: string, records: number): void;
  /** A source batch's step starts, `micros` after its first record was received (system clock). */
  stepped(micros: number): void;
}

export interface LiveRun {
  /** Records the sources delivered (live). */
  events: number;
  /** Records the warm-up delivered. */
  warmEvents: number;
  /** What external nodes emitted outside their external steps (e.g. answers after the stop): not in the capture. */
  uncaptured: number;
  /** A resume: the dead run's arrivals taken again, and the live records dropped as already in them. */
  resumed?: { arrivals: number; duplicates: number };
}

/** The entry point of the graph's external arrivals: `services.external` routes here once the driver runs. */
export class ExternalInputs {
  private take: ((node: string, deliver: () => void, mark?: number) => void) | undefined;
  readonly early: { node: string; deliver: () => void; mark: number | undefined }[] = [];
  queue(node: string, deliver: () => void, mark?: number): void {
    if (this.take) this.take(node, deliver, mark);
    else this.early.push({ node, deliver, mark });
  }
  attach(take: (node: string, deliver: () => void, mark?: number) => void): void {
    this.take = take;
    for (const e of this.early.splice(0)) take(e.node, e.deliver, e.mark);
  }
}

/**
 * Commands an operator gives a running live graph (`alpha kill`): `queue` makes each a step (those
 * given before the driver starts wait for it); once the run is stopping, a command is refused.
 */
export class LiveCommands {
  private take: ((command: LiveCommand, text: string) => void) | undefined;
  private early: { command: LiveCommand; text: string }[] | undefined = [];
  queue(command: LiveCommand, text: string): void {
    if (this.take) this.take(command, text);
    else if (this.early) this.early.push({ command, text });
    else throw new Error('the live run is stopping: it takes no more commands');
  }
  attach(take: (command: LiveCommand, text: string) => void): void {
    this.take = take;
    for (const c of this.early?.splice(0) ?? []) take(c.command, c.text);
  }
  detach(): void {
    this.take = undefined;
    this.early = undefined;
  }
}

/** Drives `graph` on `clock` until the sources end or the run is stopped. */
export async function driveLive(
  graph: BuiltGraph,
  clock: WallClock,
  externals: ExternalInputs,
  options: LiveDriveOptions = {},
): Promise<LiveRun> {
  try {
    return await driveLiveSteps(graph, clock, externals, options);
  } finally {
    await releaseNodes(graph.contexts.values()); // however the run ended (OperatorContext.onRelease)
  }
}

async function driveLiveSteps(graph: BuiltGraph, clock: WallClock, externals: ExternalInputs, options: LiveDriveOptions): Promise<LiveRun> {
  const steps = new ArrivalSteps(clock, graph.held, (system) => clock.fromSystem(system), graph.gate);
  const capture = options.capture;
  let events = 0;
  let uncaptured = 0;
  let failure: unknown;
  let halted = false;
  /** What stopped the run (the `stop` command's text). */
  let stoppedBy = 'the sources ended';
  const waiting = new Set<(v: null) => void>();
  const stop = (why: string): void => {
    if (!halted) stoppedBy = why;
    halted = true;
    for (const w of waiting) w(null);
    waiting.clear();
  };
  const fail = (err: unknown): void => {
    failure = err;
    stop('a failure');
  };
  /**
   * One step at a time, in arrival order. A step that comes while none is running is taken at once,
   * in the callback that brought it (a tick from the feed's socket, the venue's answer): no promise
   * is made unless the step has to wait, and then `serial.run` returns the promise of its end.
   */
  const serial = new SerialSteps(fail, () => failure !== undefined);

  // What external nodes emit, gathered while their step runs.
  let collecting: string | undefined;
  /** A resume is taking the dead run's capture again (what external nodes emit then is in it already). */
  let retaking = false;
  let emitted: { port: string; records: unknown[] }[] = [];
  for (const [node, edges] of options.externalPorts ?? [])
    for (const port of edges)
      graph.outputs.get(edgeId(node, port))!.subscribe((batch) => {
        if (collecting === node) emitted.push({ port, records: rowsOf(batch) as unknown[] });
        else if (!retaking) uncaptured += batch.length;
      });

  clock.onDue = (wall) =>
    void serial.run(() => {
      if (clock.nextTimerAt() > wall) return undefined; // an arrival already fired them
      capture?.wake(wall);
      return steps.advance(wall);
    });
  options.commands?.attach(
    (command, text) =>
      void serial.run(() => {
        const at = Math.max(clock.wallNow(), clock.now());
        capture?.command(at, command, text);
        return steps.command(at, command, text, graph.contexts.values());
      }),
  );
  externals.attach(
    (node, deliver, mark) =>
      void serial.run(() => {
        const at = Math.max(clock.wallNow(), clock.now());
        collecting = node;
        emitted = [];
        const captured = (): void => capture?.external(node, at, emitted, mark);
        let waiting: Promise<void> | undefined;
        try {
          waiting = steps.external(at, deliver);
        } finally {
          if (!waiting) collecting = undefined;
        }
        if (!waiting) {
          captured();
          return undefined;
        }
        return waiting
          .finally(() => {
            collecting = undefined;
          })
          .then(captured);
      }),
  );

  // The reads a stop must end. Not Promise.race with one long-lived promise: each race leaves a
  // reaction on it that keeps its result (a batch) alive for the rest of the run.
  const nextOrStop = <T>(read: Promise<T>): Promise<T | null> => {
    if (halted) return Promise.resolve(null);
    return new Promise<T | null>((resolve, reject) => {
      waiting.add(resolve);
      read.then(
        (v) => {
          waiting.delete(resolve);
          resolve(v);
        },
        (e: unknown) => {
          waiting.delete(resolve);
          reject(e);
        },
      );
    });
  };
  const bySignal = (): void => stop('the stop signal');
  options.signal?.addEventListener('abort', bySignal, { once: true });
  if (options.signal?.aborted) bySignal();
  const cancelUntil =
    options.until !== undefined && options.time ? options.time.wakeAt(options.until, () => stop('the end time')) : undefined;

  let resumed: Resumed | undefined;
  const resume = options.resume;
  if (resume)
    await serial.runAwaited(async () => {
      retaking = true;
      resume.recovery.active = true;
      try {
        resumed = await retake(graph, steps, resume.capture, resume.kafkaInputs);
      } finally {
        retaking = false;
        resume.recovery.active = false;
      }
      await resume.afterRetake?.();
      for (const ctx of graph.contexts.values()) for (const fn of ctx.recoverers) await fn(resumed.marks.get(ctx.node));
    });

  let warmEvents = 0;
  const warm = options.warm;
  if (warm)
    await serial.runAwaited(async () => {
      warmEvents = await driveWarmUp(warm.sources, steps, warm.end, capture, () => halted);
      const at = Math.max(clock.wallNow(), clock.now());
      const text = `warm-up on ${warm.days.join(', ')} done`;
      capture?.command(at, 'go-live', text);
      await steps.command(at, 'go-live', text, graph.contexts.values());
    });

  /** A source's batch as a step of the run, handed on by `next`; the promise of its end when it has to wait. */
  const deliverBatch = (
    s: BuiltSource,
    next: (records: EdgeBatch<SourceRecord>) => void,
    read: EdgeBatch<SourceRecord>,
  ): Promise<void> | undefined => {
    const batch = resumed ? resumed.fresh(s.name, read) : read;
    if (batch.length === 0) return undefined;
    events += batch.length;
    options.feed?.read(s.name, batch.length);
    return serial.run(() => {
      if (options.feed) options.feed.stepped(systemMicros() - firstStamp(batch));
      steps.restamp(batch);
      capture?.source(s.name, rowsOf(batch));
      return steps.deliver(batch, next);
    });
  };

  /** A source read through promises: one read at a time, each batch a step. */
  const driveRead = async (s: BuiltSource, next: (records: EdgeBatch<SourceRecord>) => void): Promise<void> => {
    for (;;) {
      const read = await nextOrStop(s.reader.next());
      if (read === null || failure !== undefined) return;
      const waiting = deliverBatch(s, next, read);
      if (waiting) await waiting;
    }
  };

  /**
   * A source that says when it has something (`onReady`) and gives it without a promise (`poll`):
   * what has arrived is taken in the callback that says so, with no promise per batch (a promise,
   * its reactions and an async function's resumption per tick were the live path's largest
   * allocation). Done at the end of the source, at the stop, or at a failure.
   */
  const drivePolled = (
    s: BuiltSource,
    next: (records: EdgeBatch<SourceRecord>) => void,
    poll: () => EdgeBatch<SourceRecord> | null | undefined,
    onReady: (cb: () => void) => void,
  ) =>
    new Promise<void>((resolve, reject) => {
      let done = false;
      let busy = false; // taking batches, or waiting for a step that had to wait
      const finish = (err?: unknown): void => {
        if (done) return;
        done = true;
        waiting.delete(stopped);
        if (err === undefined) resolve();
        else reject(err);
      };
      /** The stop ends the source as it ends a read. */
      const stopped = (): void => finish();
      waiting.add(stopped);
      const resume = (): void => {
        busy = false;
        take();
      };
      const take = (): void => {
        if (busy || done) return;
        busy = true;
        try {
          // Never more than a few steps in one go without letting the other sources and arrivals in.
          for (let taken = 0; taken < 16; taken++) {
            const read = halted || failure !== undefined ? null : poll();
            if (read === null) {
              finish();
              return;
            }
            if (read === undefined) {
              busy = false; // onReady calls take() again
              return;
            }
            const stepping = deliverBatch(s, next, read);
            if (stepping) {
              void stepping.then(resume, finish);
              return;
            }
          }
          setImmediate(resume);
        } catch (err) {
          finish(err);
        }
      };
      onReady(take);
      take();
    });

  await Promise.all(
    graph.sources.map((s) => {
      const next = (records: EdgeBatch<SourceRecord>): void => s.subject.next(records);
      const { poll, onReady } = s.reader;
      const driven = poll && onReady ? drivePolled(s, next, poll.bind(s.reader), onReady.bind(s.reader)) : driveRead(s, next);
      // A source that fails fails the run as a failed step does: the others stop, and all close below.
      return driven.catch((err: unknown) => {
        if (failure === undefined) fail(err);
      });
    }),
  );
  await serial.idle();
  cancelUntil?.();
  /** The run's end: the wall time, or `until` when it came first. */
  const endAt = (): Micros => {
    const wall = clock.wallNow();
    return Math.max(clock.now(), options.until !== undefined ? Math.min(options.until, wall) : wall);
  };
  // The stop is a step, captured like a command, so the replay cancels what the live run cancelled.
  const listens = [...graph.contexts.values()].some((ctx) => ctx.commands.some((c) => c.command === 'stop'));
  if (failure === undefined && listens)
    await serial.runAwaited(() => {
      const at = endAt();
      capture?.command(at, 'stop', stoppedBy);
      return steps.command(at, 'stop', stoppedBy, graph.contexts.values());
    });
  if (failure === undefined) for (const ctx of graph.contexts.values()) for (const fn of ctx.stoppers) await fn();
  await serial.idle();
  // From here on nothing takes steps: what still arrives from outside is delivered at once (uncaptured).
  externals.attach((_node, deliver) => deliver());
  options.commands?.detach();
  clock.stop();
  if (failure !== undefined) {
    await closeSourcesQuietly(graph.sources);
    throw failure;
  }
  // The timers due by the end fire before the streams complete.
  const end = endAt();
  capture?.end(end);
  await steps.advance(end);
  // A source whose close failed (a Kafka source whose broker is gone could not commit) fails the
  // run, after the rest of the stop: the other sources close and the sinks flush all the same.
  let unclosed: unknown;
  for (const s of graph.sources) {
    await s.reader.close().catch((err: unknown) => {
      unclosed ??= err;
    });
    s.subject.complete();
  }
  await finishNodes(graph.contexts.values());
  if (unclosed !== undefined) throw unclosed;
  return {
    events,
    warmEvents,
    uncaptured,
    ...(resumed ? { resumed: { arrivals: resume!.capture.arrivals.length, duplicates: resumed.duplicates } } : {}),
  };
}

function firstStamp(batch: EdgeBatch<SourceRecord>): number {
  return batch instanceof ColumnBatch ? batch.columns.ts_known[batch.start]! : batch[0]!.ts_known;
}

/** The system clock in µs with sub-millisecond resolution (Date.now() has whole ms; receive stamps are finer). */
function systemMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}
