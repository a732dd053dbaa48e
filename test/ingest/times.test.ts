/**
 * Times of ingested rows (pipelines/ingest/times.ts): instants, wall times in a zone across daylight
 * saving, dates alone at the day time. Expected values from Date.UTC and the zones' published rules
 * (New York: EST UTC-5, EDT UTC-4 from 02:00 on the second Sunday of March; Bangkok UTC+7, no DST).
 */
import { describe, expect, it } from 'vitest';
import { AlphaError } from '../../lib/core/errors.ts';
import { checkZone, parseDayTime, timeParser } from '../../pipelines/ingest/times.ts';

const us = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) * 1000;

describe('timeParser', () => {
  const ny = timeParser('America/New_York', parseDayTime('16:00'));
  it('reads µs, instants with Z or an offset, and wall times in the zone', () => {
    expect(ny.parse('1704205800000000')).toBe(1704205800000000);
    expect(ny.parse('2024-01-02T14:30:00Z')).toBe(us(2024, 1, 2, 14, 30));
    expect(ny.parse('2024-01-02T14:30:00+07:00')).toBe(us(2024, 1, 2, 7, 30));
    expect(ny.parse('2024-01-02 09:30:00.000250')).toBe(us(2024, 1, 2, 14, 30) + 250);
    expect(ny.parse('2024-07-02 09:30')).toBe(us(2024, 7, 2, 13, 30));
    expect(ny.parse('2024-07-02')).toBe(us(2024, 7, 2, 20));
    expect(timeParser('Asia/Bangkok', 0).parse('1997-06-02 09:00')).toBe(us(1997, 6, 2, 2));
  });
  it('refuses a wall time skipped by daylight saving, and takes the first of a repeated one', () => {
    expect(ny.parse('2024-03-10 02:30')).toMatch(/does not exist in America\/New_York/);
    expect(ny.parse('2024-03-10 03:00')).toBe(us(2024, 3, 10, 7));
    // 01:30 on 2024-11-03 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    expect(ny.parse('2024-11-03 01:30')).toBe(us(2024, 11, 3, 5, 30));
  });
  it('says why a text is not a time', () => {
    for (const bad of [
      '',
      'yesterday',
      '2024-02-30',
      '2024-01-02 24:00',
      '2024-01-02T10:00:00.0000001Z',
      '1969-12-31',
      '12345678901234567',
    ])
      expect(ny.parse(bad)).toEqual(expect.stringContaining('time "'));
  });
  it('refuses an unknown zone and a bad day time', () => {
    expect(() => checkZone('Mars/Olympus')).toThrow(AlphaError);
    expect(() => checkZone('../../etc/passwd')).toThrow(/not a time zone/);
    expect(() => parseDayTime('25:00')).toThrow(/--day-time is "25:00"/);
  });
});
