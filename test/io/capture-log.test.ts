/**
 * The capture file (pipelines/io/capture-log.ts): what is written reads back the same; a torn last
 * frame (a killed run) is dropped and reported; damage before it, a file that is not a capture, a
 * header naming an unknown schema, and a folder are each one DataError naming the file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../lib/core/errors.ts';
import { CaptureWriter, readCapture } from '../../pipelines/io/capture-log.ts';
import { quote } from '../helpers/records.ts';
import type { Fill } from '../../schemas/types.generated.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const header = {
  start: 1_700_000_000_000_000,
  universe: [{ symbol: 'A', sector: 'X' }],
  sessions: [{ open: 1, close: 2 }],
  nodes: [
    { node: 'quotes', kind: 'source' as const, ports: { out: 'Quote' as const } },
    { node: 'venue', kind: 'external' as const, ports: { out: 'Fill' as const, states: 'OrderState' as const } },
  ],
};
const fill: Fill = {
  ts_event: 5,
  ts_known: 6,
  fill_id: 'o1#1',
  order_id: 'o1',
  symbol: 'A',
  side: 'BUY',
  qty: 100,
  price: 10.01,
  fee: 0.05,
  liquidity: 'TAKER',
} as Fill;

function write(name: string): string {
  const path = join(dir, name);
  const w = new CaptureWriter(path, header);
  w.source('quotes', [quote('A', 10, 9.99, 10.01, 1), quote('A', 11, 9.98, 10.02, 2)]);
  w.wake(20);
  w.external('venue', 30, [{ port: 'out', records: [fill] }]);
  w.end(40);
  w.close();
  return path;
}

describe('the capture log', () => {
  it('reads back every arrival as written, and the end', () => {
    const c = readCapture(write('whole.alog'));
    expect(c.header).toEqual({ format: 'alpha-capture/1', ...header });
    expect(c.ended).toBe(true);
    expect(c.tornBytes).toBe(0);
    expect(c.arrivals).toEqual([
      { kind: 'source', node: 'quotes', records: [quote('A', 10, 9.99, 10.01, 1), quote('A', 11, 9.98, 10.02, 2)] },
      { kind: 'wake', at: 20 },
      { kind: 'external', node: 'venue', at: 30, emitted: [{ port: 'out', records: [fill] }] },
      { kind: 'end', at: 40 },
    ]);
  });

  it('drops a torn last frame, as kill -9 leaves it, and keeps the arrivals before it', () => {
    const bytes = readFileSync(write('torn.alog'));
    for (const cut of [1, 5, 9]) {
      const path = join(dir, `torn-${cut}.alog`);
      writeFileSync(path, bytes.subarray(0, bytes.length - cut));
      const c = readCapture(path);
      expect(c.ended).toBe(false);
      expect(c.tornBytes).toBeGreaterThan(0);
      expect(c.arrivals.map((a) => a.kind)).toEqual(['source', 'wake', 'external']);
    }
  });

  it('refuses damage before the last frame, a file that is not a capture, an unknown schema and a folder', () => {
    const bytes = Buffer.from(readFileSync(write('damaged.alog')));
    bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0xff; // inside the external arrival, not the end frame
    const damaged = join(dir, 'damaged-2.alog');
    writeFileSync(damaged, bytes);
    const parquetLike = join(dir, 'not.alog');
    writeFileSync(parquetLike, 'PAR1 this is not a capture');
    const unknown = join(dir, 'unknown.alog');
    // A header frame written by hand: length, CRC-32, kind 0 and the JSON.
    const json = Buffer.concat([
      Buffer.of(0),
      Buffer.from(JSON.stringify({ format: 'alpha-capture/1', ...header, nodes: [{ node: 'q', kind: 'source', ports: { out: 'Nope' } }] })),
    ]);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(json.length, 0);
    head.writeUInt32LE(crc32(json), 4);
    writeFileSync(unknown, Buffer.concat([head, json]));
    const folder = join(dir, 'folder.alog');
    mkdirSync(folder);
    for (const [path, pattern] of [
      [damaged, /fails its checksum|arrival/],
      [parquetLike, /no capture header/],
      [unknown, /not alpha-capture\/1/],
      [folder, /not a regular file/],
      [join(dir, 'missing.alog'), /cannot read the capture \(ENOENT\)/],
    ] as const) {
      let error: unknown;
      try {
        readCapture(path);
      } catch (err) {
        error = err;
      }
      expect(error, path).toBeInstanceOf(DataError);
      expect((error as Error).message, path).toMatch(pattern);
      expect((error as Error).message, path).toContain(path);
    }
  });

  it("keeps an external arrival's mark, and a resumed writer cuts a torn frame off and appends after the last whole one", () => {
    const path = join(dir, 'resume.alog');
    const w = new CaptureWriter(path, header);
    w.source('quotes', [quote('A', 10, 9.99, 10.01, 1)]);
    w.external('venue', 30, [{ port: 'out', records: [fill] }], 17);
    w.wake(35);
    w.close();
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, whole.length - 4)); // the wake torn, as kill -9 leaves it
    const dead = readCapture(path);
    expect(dead.tornBytes).toBeGreaterThan(0);
    expect(dead.arrivals.at(-1)).toEqual({
      kind: 'external',
      node: 'venue',
      at: 30,
      emitted: [{ port: 'out', records: [fill] }],
      mark: 17,
    });
    const resumed = new CaptureWriter(path, header, dead);
    expect(resumed.arrivals).toBe(2);
    resumed.wake(50);
    resumed.end(60);
    resumed.close();
    const c = readCapture(path);
    expect(c.tornBytes).toBe(0);
    expect(c.ended).toBe(true);
    expect(c.arrivals.map((a) => a.kind)).toEqual(['source', 'external', 'wake', 'end']);
    expect(c.arrivals[2]).toEqual({ kind: 'wake', at: 50 });
  });

  it('never writes over an existing file', () => {
    const path = write('once.alog');
    expect(() => new CaptureWriter(path, header)).toThrow(/EEXIST/);
  });
});
