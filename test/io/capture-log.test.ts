/**
 * The capture file (pipelines/io/capture-log.ts): what is written reads back the same; a torn last
 * frame (a killed run) is dropped and reported; damage before it, a file that is not a capture, a
 * header naming an unknown schema, and a folder are each one DataError naming the file.
 */
import { execFileSync } from 'node:child_process';
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

/** readCapture(path) throws one DataError naming the file, its message matching `pattern`. */
function expectRefused(path: string, pattern: RegExp): void {
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

/** A capture at `path` of three arrivals: a source batch, an external one with its mark, a wake (no end: a killed run's). */
function writeThree(path: string): void {
  const w = new CaptureWriter(path, header);
  w.source('quotes', [quote('A', 10, 9.99, 10.01, 1)]);
  w.external('venue', 30, [{ port: 'out', records: [fill] }], 17);
  w.wake(35);
  w.close();
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

  it('refuses a length damaged before the last frame: whole frames after it mean it is not a torn end', () => {
    const bytes = Buffer.from(readFileSync(write('long.alog')));
    // Frame lengths: the header's, then the source arrival's; its length made to overrun the file.
    const second = 8 + bytes.readUInt32LE(0);
    const third = second + 8 + bytes.readUInt32LE(second);
    for (const len of [0xfffffff0, bytes.length]) {
      bytes.writeUInt32LE(len, second);
      const path = join(dir, `long-${len}.alog`);
      writeFileSync(path, bytes);
      // It read as a torn last frame: a replay of the arrivals before it, exit 0 (and a resume cut the file there).
      expect(() => readCapture(path)).toThrow(
        `arrival 1 (the frame at byte ${second}) claims ${len} bytes, past the end of the file, but whole frames follow from byte ${third}: the capture is damaged`,
      );
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
    // A topology hash that is not one (a path, say): the header is refused, naming what it expects.
    const badSha = join(dir, 'bad-sha.alog');
    const w = new CaptureWriter(badSha, { ...header, topology_sha256: '../../etc/passwd' });
    w.end(2);
    w.close();
    const folder = join(dir, 'folder.alog');
    mkdirSync(folder);
    for (const [path, pattern] of [
      [badSha, /not alpha-capture\/1: .*its topology's sha256 \(64 hex digits\)/],
      [damaged, /fails its checksum|arrival/],
      [parquetLike, /no capture header/],
      [unknown, /not alpha-capture\/1/],
      [folder, /not a regular file/],
      [join(dir, 'missing.alog'), /cannot read the capture \(ENOENT\)/],
    ] as const) {
      expectRefused(path, pattern);
    }
  });

  it('refuses at once, in one DataError, a pipe, a file of zeros, a header of nonsense and arrivals cut short or out of time', () => {
    /** A file of framed payloads, each with its length and CRC-32 (as a live run writes them). */
    const framed = (name: string, ...payloads: Buffer[]): string => {
      const path = join(dir, name);
      writeFileSync(
        path,
        Buffer.concat(
          payloads.flatMap((p) => {
            const head = Buffer.alloc(8);
            head.writeUInt32LE(p.length, 0);
            head.writeUInt32LE(crc32(p), 4);
            return [head, p];
          }),
        ),
      );
      return path;
    };
    const headerFrame = (h: object) => Buffer.concat([Buffer.of(0), Buffer.from(JSON.stringify({ format: 'alpha-capture/1', ...h }))]);
    const timed = (kind: number, at: number) => {
      const b = Buffer.alloc(9);
      b[0] = kind;
      b.writeDoubleLE(at, 1);
      return b;
    };
    const fifo = join(dir, 'fifo.alog');
    execFileSync('mkfifo', [fifo]); // opened without blocking: it used to wait for a writer for ever
    // 16 MiB of zeros: frames of length 0 whose CRC-32 is 0 (it held 381 MB before failing).
    const zeros = join(dir, 'zeros.alog');
    writeFileSync(zeros, Buffer.alloc(16 << 20));
    const cases: [string, RegExp][] = [
      [fifo, /not a regular file \(a device, pipe or socket\): expected a capture written by `alpha live`/],
      [zeros, /no capture header/],
      [framed('null-node.alog', headerFrame({ ...header, nodes: [null] })), /capture header is not alpha-capture\/1: expected/],
      [framed('no-port.alog', headerFrame({ ...header, nodes: [{ node: 'q', kind: 'source', ports: {} }] })), /capture header is not/],
      [framed('twice.alog', headerFrame({ ...header, nodes: [header.nodes[0], header.nodes[0]] })), /nodes \(each once/],
      // A session at -1e300: the replay's session timers fired at one time for ever (100% CPU, SIGTERM unheard).
      [
        framed('far.alog', headerFrame({ ...header, sessions: [{ open: -1e300, close: 1 }] })),
        /sessions \(none, or each opening before it closes, in order, in µs since the epoch\)/,
      ],
      [framed('half.alog', headerFrame({ ...header, sessions: [{ open: 0.5, close: 1 }] })), /capture header is not/],
      [
        framed(
          'proto.alog',
          Buffer.concat([
            Buffer.of(0),
            Buffer.from(
              `{"format":"alpha-capture/1","start":1,"universe":[],"sessions":[],"nodes":[{"node":"q","kind":"source","ports":{"__proto__":"Quote"}}]}`,
            ),
          ]),
        ),
        /capture header is not/,
      ],
      [framed('same-symbol.alog', headerFrame({ ...header, universe: [header.universe[0], header.universe[0]] })), /each symbol once/],
      [framed('backwards.alog', headerFrame({ ...header, sessions: [{ open: 5, close: 1 }] })), /each opening before it closes/],
      [framed('huge-start.alog', headerFrame({ ...header, start: 1e300 })), /its start \(µs since the epoch\)/],
      [framed('short-source.alog', headerFrame(header), Buffer.of(1, 0)), /arrival 1: a source arrival of 2 bytes: expected 3 at least/],
      [framed('short-wake.alog', headerFrame(header), Buffer.of(3, 0, 0)), /arrival 1: a wake arrival of 3 bytes: expected 9 at least/],
      [framed('nan-wake.alog', headerFrame(header), timed(3, Number.NaN)), /arrival 1: a wake at NaN: expected a time/],
      [framed('inf-end.alog', headerFrame(header), timed(3, 1), timed(4, Number.POSITIVE_INFINITY)), /arrival 2: a end at Infinity/],
      // A wake at 1e300 left 475 of 874 orders, arrivals going back in time or after the end none, each with exit 0.
      [framed('far-wake.alog', headerFrame(header), timed(3, 1e300)), /arrival 1: a wake at 1e\+300: expected a time/],
      [
        framed('back-in-time.alog', headerFrame(header), timed(3, 2000), timed(3, 1000)),
        /arrival 2: a wake at 1000, before the arrival before it \(at 2000\): arrivals are written in time order/,
      ],
      [
        framed('after-end.alog', headerFrame(header), timed(4, 1000), timed(3, 2000)),
        /arrival 2: a wake after the end of the run: the end is the last arrival/,
      ],
      [
        framed(
          'external-past-end.alog',
          headerFrame(header),
          Buffer.concat([Buffer.of(2, 1, 0), Buffer.alloc(8), Buffer.of(1, 0), Buffer.of(0, 0xff, 0xff, 0, 0)]),
        ),
        /arrival 1: venue's records #0 claim 65535 bytes past the arrival's end/,
      ],
    ];
    for (const [path, pattern] of cases) {
      expectRefused(path, pattern);
    }
  });

  it("keeps an external arrival's mark, and a resumed writer cuts a torn frame off and appends after the last whole one", () => {
    const path = join(dir, 'resume.alog');
    writeThree(path);
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

  it('takes a tail of zeros after the last whole frame (a power loss) as a torn end, and a resumed writer cuts it off', () => {
    // What a file system can leave after a power loss: the file's size grown, its last blocks never written.
    const path = join(dir, 'zeros-tail.alog');
    writeThree(path);
    const whole = readFileSync(path);
    const kinds = ['source', 'external', 'wake'];
    for (const zeros of [4096, 8, 9, 70_000, 3]) {
      writeFileSync(path, Buffer.concat([whole, Buffer.alloc(zeros)]));
      const c = readCapture(path);
      expect(c.arrivals.map((a) => a.kind)).toEqual(kinds);
      expect(c.ended).toBe(false);
      expect([c.tornBytes, c.tornZeros, c.bytes]).toEqual([zeros, true, whole.length]);
    }
    // After the header alone, and after the end of the run.
    const headerOnly = 8 + whole.readUInt32LE(0);
    writeFileSync(join(dir, 'zeros-header.alog'), Buffer.concat([whole.subarray(0, headerOnly), Buffer.alloc(100)]));
    expect(readCapture(join(dir, 'zeros-header.alog')).arrivals).toEqual([]);
    const ended = readFileSync(write('zeros-ended.alog'));
    writeFileSync(join(dir, 'zeros-ended.alog'), Buffer.concat([ended, Buffer.alloc(100)]));
    expect(readCapture(join(dir, 'zeros-ended.alog'))).toMatchObject({ ended: true, tornBytes: 100, tornZeros: true });
    // A torn frame is not zeros.
    writeFileSync(path, whole.subarray(0, whole.length - 4));
    expect(readCapture(path).tornZeros).toBe(false);
    // The resume: the zeros are cut off and the arrivals follow the last whole frame.
    writeFileSync(path, Buffer.concat([whole, Buffer.alloc(4096)]));
    const resumed = new CaptureWriter(path, header, readCapture(path));
    resumed.wake(50);
    resumed.end(60);
    resumed.close();
    const c = readCapture(path);
    expect([c.tornBytes, c.ended]).toEqual([0, true]);
    expect(c.arrivals.map((a) => a.kind)).toEqual([...kinds, 'wake', 'end']);
    expect(readFileSync(path).subarray(0, whole.length)).toEqual(whole);
    expect(readFileSync(path).length).toBe(whole.length + 2 * (8 + 9));
  });

  it('refuses zeros that are not a torn end, an empty frame and a kind byte that is not an arrival, naming the arrival and its byte', () => {
    const whole = Buffer.from(readFileSync(write('not-tail.alog')));
    // Frame offsets: the header, the source, the wake, the external, the end.
    const starts = [0];
    while (starts.at(-1)! < whole.length) starts.push(starts.at(-1)! + 8 + whole.readUInt32LE(starts.at(-1)!));
    const [, source, wake, external, end] = starts as [number, number, number, number, number];
    const kinds = '0x01 source, 0x02 external, 0x03 wake, 0x04 end, 0x05 command';
    const file = (name: string, ...parts: Buffer[]): string => {
      const path = join(dir, name);
      writeFileSync(path, Buffer.concat(parts));
      return path;
    };
    /** A frame of `payload`, its length and CRC-32 right. */
    const frame = (payload: Buffer): Buffer => {
      const head = Buffer.alloc(8);
      head.writeUInt32LE(payload.length, 0);
      head.writeUInt32LE(crc32(payload), 4);
      return Buffer.concat([head, payload]);
    };
    const badLast = Buffer.from(whole);
    badLast[end + 8] = 9; // the end frame's kind byte: its checksum fails
    const empty = (at: number, index: number, next: number, byte: string) =>
      `arrival ${index} (the frame at byte ${at}): an empty frame (length 0), and not a tail of zeros (byte ${next} is ${byte}): ` +
      `expected an arrival, its first byte its kind (${kinds}), or only zeros from there to the end of the file (a torn end)`;
    const cases: [string, string][] = [
      // Zeros, then something that is not: damage after the last frame, not a power loss's tail.
      [file('zeros-then-byte.alog', whole, Buffer.alloc(4096), Buffer.of(1)), empty(whole.length, 5, whole.length + 4096, '0x01')],
      // An empty frame between two arrivals (its CRC-32, of nothing, is 0): it read as `unknown arrival kind undefined`.
      [
        file('empty-frame.alog', whole.subarray(0, wake), Buffer.alloc(8), whole.subarray(wake)),
        empty(wake, 2, wake + 8, `0x${whole[wake]!.toString(16).padStart(2, '0')}`),
      ],
      // A frame whose checksum fails, then zeros and something else: damage.
      [
        file('bad-zeros-byte.alog', badLast, Buffer.alloc(64), Buffer.of(7)),
        `arrival 4 (the frame at byte ${end}) fails its checksum, and more than zeros follows it: the capture is damaged (only its last frame may be cut short, and only zeros may follow it)`,
      ],
      // Kind bytes that are no arrival's: unknown, and a second header.
      [
        file('kind-9.alog', whole.subarray(0, external), frame(Buffer.of(9, 1, 2, 3)), whole.subarray(external)),
        `arrival 3 (the frame at byte ${external}): kind byte 0x09: expected an arrival's kind (${kinds})`,
      ],
      [
        file('two-headers.alog', whole.subarray(0, source), whole.subarray(0, source), whole.subarray(source)),
        `arrival 1 (the frame at byte ${source}): kind byte 0x00 (a capture header's: only the first frame is one): expected an arrival's kind (${kinds})`,
      ],
    ];
    for (const [path, message] of cases) {
      expectRefused(path, /./);
      expect(() => readCapture(path)).toThrow(`${path}: ${message}`);
    }
    // A last frame whose checksum fails, then only zeros (a power loss that zeroed its blocks and
    // the ones after them): a torn end, the frame dropped.
    const torn = readCapture(file('bad-then-zeros.alog', badLast, Buffer.alloc(64)));
    expect([torn.ended, torn.tornBytes, torn.bytes]).toEqual([false, whole.length - end + 64, end]);
  });

  it('stops at a write the file system takes in part, naming the capture, with only whole arrivals kept; a header it cannot write leaves no file', () => {
    // Under a file size limit of 2 KiB the writes stop part way, as on a full disk: a frame is taken in
    // part, and the write of its rest fails (EFBIG, as ENOSPC on a full disk).
    const child = (path: string, arrivals: number, symbols: number): string =>
      execFileSync(
        'bash',
        [
          '-c',
          `ulimit -f 2; trap '' XFSZ; exec "${process.execPath}" --import tsx test/helpers/capture-writes.ts "$@"`,
          'limit',
          path,
          String(arrivals),
          String(symbols),
        ],
        { encoding: 'utf8' },
      ).trim();
    const path = join(dir, 'limited.alog');
    const said = child(path, 1000, 1);
    expect(said).toMatch(
      new RegExp(
        `^ERR ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write the capture's arrival (\\d+): the file would grow past what this process may write \\(EFBIG\\): raise its limit \\(ulimit -f\\), or write elsewhere; its (\\d+) arrival\\(s\\) before are kept`,
      ),
    );
    const [, failed, kept] = /arrival (\d+): .* its (\d+) arrival/.exec(said)!;
    expect(Number(kept)).toBe(Number(failed) - 1);
    // The file holds every arrival before the one that failed, whole, and that one's start as a torn end.
    const c = readCapture(path);
    expect(c.arrivals.length).toBe(Number(kept));
    expect(c.arrivals.every((a, i) => a.kind === 'wake' && a.at === i + 1)).toBe(true);
    expect(c.tornBytes).toBeGreaterThan(0);
    expect(readFileSync(path).length).toBe(2048);
    // A header larger than the limit: the writer fails, and no headless capture is left for a resume to refuse.
    const headless = join(dir, 'headless.alog');
    expect(child(headless, 1, 200)).toMatch(
      /^ERR .*headless\.alog: cannot write the capture's header: .*\(EFBIG\).*\(no capture is left; the run has not started\)$/,
    );
    expect(() => readFileSync(headless)).toThrow(/ENOENT/);
  });

  it('never writes over an existing file', () => {
    const path = write('once.alog');
    expect(() => new CaptureWriter(path, header)).toThrow(/EEXIST/);
  });
});
