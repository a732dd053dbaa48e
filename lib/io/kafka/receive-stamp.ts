/**
 * The receive stamp of a Kafka record: when this process took it from the consumer, in µs since the
 * epoch. On the monotonic clock anchored at the process's start (`performance.timeOrigin`), so stamps
 * never go back within a process (a wall-clock step, NTP's say, does not reorder what was received)
 * and have µs resolution; they can drift from the system clock by what it was adjusted since.
 */
import { performance } from 'node:perf_hooks';
import type { Micros } from '../../core/time.ts';

export function receiveStamp(): Micros {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
