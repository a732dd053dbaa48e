/**
 * Times of ingested rows, as µs since the epoch (UTC): whole µs (`1704205800000000`), or ISO-8601
 * `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]` with `Z` or `±HH:MM` (an instant), or without (a wall time in
 * `--tz`, an IANA zone), or a date alone `YYYY-MM-DD` (that day at `--day-time` in `--tz`). A wall time
 * that does not exist in the zone (skipped by a daylight-saving change) is refused; one that occurs
 * twice is the first.
 */
import { AlphaError } from '../../lib/core/errors.ts';
import { isDate } from '../../lib/core/dates.ts';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const MICROS = /^\d{1,16}$/;
const DAY_TIME = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

export interface TimeParser {
  /** µs since the epoch, or why `text` is not a time. */
  parse(text: string): number | string;
}

/** Checks `--tz` (an IANA zone such as America/New_York, or UTC). */
export function checkZone(tz: string): string {
  try {
    if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) throw new RangeError(tz);
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new AlphaError(`--tz is "${tz}": not a time zone: expected an IANA zone name such as UTC, America/New_York or Asia/Bangkok`);
  }
}

/** `--day-time HH:MM[:SS]` as µs after midnight. */
export function parseDayTime(value: string): number {
  const m = DAY_TIME.exec(value);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59)
    throw new AlphaError(`--day-time is "${value}": expected a time of day HH:MM or HH:MM:SS (e.g. 16:00)`);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1e6;
}

export function timeParser(tz: string, dayTimeMicros: number): TimeParser {
  const zone = checkZone(tz);
  const utc = zone === 'UTC' || zone === 'Etc/UTC';
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const offsets = new Map<number, number>();
  /** The zone's offset (ms to add to UTC) at the instant `ms`. */
  const offsetAt = (ms: number): number => {
    const hour = Math.floor(ms / 3_600_000);
    let off = offsets.get(hour);
    if (off === undefined) {
      const p = Object.fromEntries(format.formatToParts(new Date(hour * 3_600_000)).map((x) => [x.type, x.value]));
      off =
        Date.UTC(Number(p['year']), Number(p['month']) - 1, Number(p['day']), Number(p['hour']), Number(p['minute']), Number(p['second'])) -
        hour * 3_600_000;
      offsets.set(hour, off);
    }
    return off;
  };
  /** The instant (ms) whose wall time in the zone is `wall` (ms of a UTC-read wall clock), or undefined in a gap. */
  const fromWall = (wall: number): number | undefined => {
    if (utc) return wall;
    // Of the candidates (offset of the hour before and after), the earliest that reads back as `wall`.
    const candidates = [wall - offsetAt(wall - 86_400_000), wall - offsetAt(wall), wall - offsetAt(wall + 86_400_000)].sort(
      (a, b) => a - b,
    );
    return candidates.find((t) => t + offsetAt(t) === wall);
  };
  return {
    parse(text: string): number | string {
      const s = text.trim();
      if (MICROS.test(s)) return Number(s);
      const m = ISO.exec(s);
      const date = m ? `${m[1]}-${m[2]}-${m[3]}` : '';
      if (!m || !isDate(date))
        return `time "${text}": expected µs since the epoch, YYYY-MM-DD, or YYYY-MM-DD HH:MM[:SS[.ffffff]] with an optional Z or ±HH:MM`;
      const [h, min, sec] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
      if (h > 23 || min > 59 || sec > 59) return `time "${text}": hour, minute or second out of range`;
      const frac = m[7] ?? '';
      if (frac.length > 6 && /[1-9]/.test(frac.slice(6))) return `time "${text}": finer than a microsecond`;
      const micros = Number(frac.slice(0, 6).padEnd(6, '0'));
      const wall = Date.parse(`${date}T00:00:00Z`) + (m[4] === undefined ? dayTimeMicros / 1000 : ((h * 60 + min) * 60 + sec) * 1000);
      const zone = m[8];
      let ms: number | undefined;
      if (zone === undefined) {
        ms = fromWall(wall);
        if (ms === undefined) return `time "${text}" does not exist in ${tz} (skipped by a daylight-saving change)`;
      } else if (zone === 'Z') {
        ms = wall;
      } else {
        const z = zone.replace(':', '');
        const sign = z[0] === '-' ? -1 : 1;
        const [oh, om] = [Number(z.slice(1, 3)), Number(z.slice(3, 5))];
        if (oh > 18 || om > 59) return `time "${text}": offset ${zone} out of range`;
        ms = wall - sign * (oh * 60 + om) * 60_000;
      }
      const us = ms * 1000 + micros;
      return us >= 0 ? us : `time "${text}" is before 1970-01-01 (expected a time since the epoch)`;
    },
  };
}
