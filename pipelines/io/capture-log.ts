/**
 * The capture of a live run: every arrival the live driver delivered, in its order, as it was
 * delivered. An arrival is a source's batch (records restamped by the driver, see arrivals.ts), what a
 * node received from outside the graph (`external`: e.g. the venue's executions), a wall-clock wake
 * that released due timers, a command (`alpha kill`'s halt, a warm start's go-live, the run's stop),
 * or the end of the run. Replaying the arrivals in order through the same graph reproduces what the
 * live graph did (pipelines/runtime/drive-capture.ts).
 *
 * The file is a sequence of frames, each `u32 length · u32 CRC-32 · payload` (little-endian), written
 * with one write per arrival, so a run killed at any moment leaves every complete frame readable; a
 * torn last frame is detected (length or CRC) and dropped, never read as data. So is a tail of zero
 * bytes where the next frame would begin, or after a last frame whose checksum fails: what a file
 * system leaves after a power loss (the file's size grown, its data never written). No frame is empty (every payload starts with its kind byte),
 * so a length of 0 is never a frame: zeros to the end are that tail, anything else after it damage.
 * Records are Avro (the schemas of schemas/), an array per batch. The first frame is a JSON header
 * naming the captured nodes and their ports' schemas.
 */
import { closeSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import avro from '../../lib/io/avro-bounds.ts';
import { AlphaError, DataError } from '../../lib/core/errors.ts';
import { systemErrorText } from '../../lib/core/system-errors.ts';
import { parseJsonText } from '../../lib/core/json-text.ts';
import { nameProblem } from '../../lib/core/names.ts';
import { DataFileMissing, readDataBytes } from '../../lib/io/data-file.ts';
import type { Micros } from '../../lib/core/time.ts';
import { avroSchema } from '../../schemas/avro.ts';
import type { LiveCommand } from '../../operators/sdk/context.ts';
import { SCHEMA_NAMES, type SchemaName } from '../../schemas/types.generated.ts';

export const CAPTURE_FILE = 'capture.alog';
const FORMAT = 'alpha-capture/1';

export interface CapturedNode {
  node: string;
  /** `source`: its batches are arrivals; `external`: it receives from outside the graph. */
  kind: 'source' | 'external';
  /** Port → schema of what is captured (a source's `out`; every output port of an external node). */
  ports: Record<string, SchemaName>;
}

export interface CaptureHeader {
  format: typeof FORMAT;
  /** The run's time when it started (its clock's first time). */
  start: Micros;
  /** The instruments and trading sessions the live run was given (the replay is given the same). */
  universe: { symbol: string; sector: string }[];
  sessions: { open: Micros; close: Micros }[];
  nodes: CapturedNode[];
  /** A group's live run (`alpha live --group`): the group whose nodes ran (its replay runs them alone). */
  group?: string;
  /** A group's run id (its topics and consumer groups): a resume reads the same. */
  run_id?: string;
  /** A replica of a replicated group (`--replica`): its index and the group's replica count (it captured its share of the symbols). */
  replica?: { index: number; of: number };
  /** A run at a speed factor: its time was `origin` at system time `system` (µs), `speed` times faster since (a resume keeps it). */
  time?: { speed: number; origin: Micros; system: Micros };
  /** The live run's resolved topology (summary.json's topology_sha256): a replay by another says so, a resume refuses it. */
  topology_sha256?: string;
}

export type Arrival =
  | { kind: 'source'; node: string; records: unknown[] }
  /** `mark`: what the node says this arrival brought it up to (execution.ouch: the venue's last sequenced message), for a resume. */
  | { kind: 'external'; node: string; at: Micros; emitted: { port: string; records: unknown[] }[]; mark?: number }
  | { kind: 'wake'; at: Micros }
  | { kind: 'command'; at: Micros; command: LiveCommand; text: string }
  | { kind: 'end'; at: Micros };

const KIND = { source: 1, external: 2, wake: 3, end: 4, command: 5 } as const;
/** The kind bytes an arrival may start with, as its errors name them: `0x01 source, …`. */
const KINDS = Object.entries(KIND)
  .map(([name, byte]) => `${hexByte(byte)} ${name}`)
  .join(', ');
const COMMANDS: readonly LiveCommand[] = ['halt', 'go-live', 'stop'];
const HEADER = 0;

interface Codec {
  node: CapturedNode;
  ports: string[];
  types: avro.Type[];
}

function codecs(nodes: readonly CapturedNode[]): Codec[] {
  return nodes.map((node) => {
    const ports = Object.keys(node.ports);
    return { node, ports, types: ports.map((p) => avroArray(node.ports[p]!)) };
  });
}

const arrayTypes = new Map<SchemaName, avro.Type>();
function avroArray(schema: SchemaName): avro.Type {
  let t = arrayTypes.get(schema);
  if (!t) {
    t = avro.Type.forSchema({ type: 'array', items: avroSchema(schema) } as avro.Schema, { wrapUnions: false });
    arrayTypes.set(schema, t);
  }
  return t;
}

/** Appends arrivals to a capture file it creates (never over an existing one). */
export class CaptureWriter {
  private readonly fd: number;
  private readonly codecs: Codec[];
  private readonly index = new Map<string, number>();
  private position = 0;
  arrivals = 0;

  /** A new capture at `path` (never over an existing file), or with `resume` the end of that capture, appended to. */
  constructor(
    readonly path: string,
    header: Omit<CaptureHeader, 'format'>,
    resume?: Capture,
  ) {
    this.codecs = codecs(header.nodes);
    header.nodes.forEach((n, i) => this.index.set(n.node, i));
    if (resume) {
      // A torn last frame (the run was killed while writing it) is cut off before anything is appended.
      this.fd = openSync(path, 'r+');
      ftruncateSync(this.fd, resume.bytes);
      this.position = resume.bytes;
      this.arrivals = resume.arrivals.length;
      return;
    }
    this.fd = openSync(path, 'wx');
    const json = Buffer.from(JSON.stringify({ format: FORMAT, ...header }));
    try {
      this.frame(Buffer.concat([Buffer.of(HEADER), json]));
    } catch (err) {
      // A capture without its header is no capture (a resume would refuse it): none is left.
      closeSync(this.fd);
      rmSync(path, { force: true });
      throw err instanceof CaptureWriteError ? new CaptureWriteError(path, 0, err.cause, true) : err;
    }
    this.arrivals = 0; // the header is not one
  }

  source(node: string, records: readonly unknown[]): void {
    const i = this.nodeIndex(node);
    const head = Buffer.alloc(3);
    head[0] = KIND.source;
    head.writeUInt16LE(i, 1);
    this.frame(Buffer.concat([head, this.codecs[i]!.types[0]!.toBuffer(records)]));
  }

  external(node: string, at: Micros, emitted: readonly { port: string; records: readonly unknown[] }[], mark?: number): void {
    const i = this.nodeIndex(node);
    const codec = this.codecs[i]!;
    const parts: Buffer[] = [];
    const head = Buffer.alloc(1 + 2 + 8 + 2);
    head[0] = KIND.external;
    head.writeUInt16LE(i, 1);
    head.writeDoubleLE(at, 3);
    head.writeUInt16LE(emitted.length, 11);
    parts.push(head);
    for (const e of emitted) {
      const p = codec.ports.indexOf(e.port);
      if (p < 0) throw new Error(`capture: node ${node} has no captured port ${e.port}`);
      const body = codec.types[p]!.toBuffer(e.records);
      const len = Buffer.alloc(5);
      len[0] = p;
      len.writeUInt32LE(body.length, 1);
      parts.push(len, body);
    }
    if (mark !== undefined) {
      const m = Buffer.alloc(8);
      m.writeDoubleLE(mark, 0);
      parts.push(m);
    }
    this.frame(Buffer.concat(parts));
  }

  wake(at: Micros): void {
    this.timed(KIND.wake, at);
  }

  end(at: Micros): void {
    this.timed(KIND.end, at);
  }

  command(at: Micros, command: LiveCommand, text: string): void {
    const head = Buffer.alloc(9);
    head[0] = KIND.command;
    head.writeDoubleLE(at, 1);
    this.frame(Buffer.concat([head, Buffer.from(JSON.stringify({ command, text }))]));
  }

  close(): void {
    closeSync(this.fd);
  }

  private timed(kind: number, at: Micros): void {
    const b = Buffer.alloc(9);
    b[0] = kind;
    b.writeDoubleLE(at, 1);
    this.frame(b);
  }

  private nodeIndex(node: string): number {
    const i = this.index.get(node);
    if (i === undefined) throw new Error(`capture: node ${node} is not in the capture's header`);
    return i;
  }

  private frame(payload: Buffer): void {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(crc32(payload), 4);
    const frame = Buffer.concat([head, payload]);
    // Written whole or not counted: a write the disk took in part (a full file system takes what
    // fits) is followed by one for the rest, which then fails (ENOSPC) instead of the capture going on
    // damaged mid-file.
    try {
      for (let done = 0; done < frame.length; ) done += writeSync(this.fd, frame, done, frame.length - done, this.position + done);
    } catch (err) {
      throw new CaptureWriteError(this.path, this.arrivals, err);
    }
    this.position += frame.length;
    this.arrivals++;
  }
}

/**
 * A capture that could not be written: the live run stops (a run it cannot replay or resume is not
 * run), saying which file, why, and that the arrivals before are kept for `--resume`.
 */
export class CaptureWriteError extends AlphaError {
  override readonly name = 'CaptureWriteError';
  constructor(path: string, arrivals: number, cause: unknown, header = false) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = systemErrorText(code) ?? code ?? String(cause);
    super(
      header
        ? `${path}: cannot write the capture's header: ${why} (no capture is left; the run has not started)`
        : `${path}: cannot write the capture's arrival ${arrivals + 1}: ${why}; ` +
            `its ${arrivals} arrival(s) before are kept, and \`alpha live … --resume\` on the same --out goes on from them (the orders working at the venue meanwhile stay working)`,
      { cause },
    );
  }
}

export interface Capture {
  header: CaptureHeader;
  arrivals: Arrival[];
  /** Whether the file ended with the run's end frame (false: the run was killed; its arrivals up to there are here). */
  ended: boolean;
  /**
   * Bytes after the last whole frame that were dropped: a torn last frame, or a tail of zero bytes
   * (0 when the file ends on a frame boundary).
   */
  tornBytes: number;
  /** Whether those bytes are all zeros (space a power loss left allocated but never written), not a frame cut short. */
  tornZeros: boolean;
  /** Bytes of the complete frames (where a resumed run appends). */
  bytes: number;
}

/**
 * The largest capture read: 2 GiB, what one read of a file can hold (a day of a live run at 2400×
 * captures a few hundred MiB).
 */
const MAX_CAPTURE_BYTES = 2 ** 31 - 1;

/**
 * Reads a capture file; a file that is not one, or damaged before its last frame, is a DataError naming
 * it. A pipe, a device or a file over MAX_CAPTURE_BYTES is refused before it is read; the header frame
 * is checked first and each arrival decoded as it is met, so a file that is not a capture fails at once.
 */
export function readCapture(path: string): Capture {
  let bytes: Buffer;
  try {
    const raw = readDataBytes(path, { bytes: MAX_CAPTURE_BYTES, of: 'a capture' });
    bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  } catch (err) {
    if (err instanceof DataFileMissing) throw new DataError(path, 'cannot read the capture (ENOENT)');
    if (err instanceof DataError) throw new DataError(path, `${err.detail}: expected a capture written by \`alpha live\``);
    throw err;
  }
  let header: CaptureHeader | undefined;
  let cs: Codec[] = [];
  const arrivals: Arrival[] = [];
  let ended = false;
  let at = 0;
  let torn = 0;
  /** Whether the torn bytes are zeros (a frame cut short starts with its length, never 0). */
  let zeros = false;
  /** The time of the last arrival that has one (source batches carry theirs in their records). */
  let lastAt = 0;
  for (let f = 0; at < bytes.length; f++) {
    if (bytes.length - at < 8) {
      torn = bytes.length - at;
      zeros = firstNonZero(bytes, at) < 0;
      break;
    }
    const len = bytes.readUInt32LE(at);
    const crc = bytes.readUInt32LE(at + 4);
    if (len === 0) {
      // No frame is empty: the frames stop here. Zeros to the end are a torn end (a power loss), a
      // non-zero byte after them damage (a file with no header is refused below).
      const nonZero = firstNonZero(bytes, at);
      if (nonZero < 0) {
        torn = bytes.length - at;
        zeros = true;
        break;
      }
      if (header)
        throw new DataError(
          path,
          `arrival ${f} (the frame at byte ${at}): an empty frame (length 0), and not a tail of zeros (byte ${nonZero} is ${hexByte(bytes[nonZero]!)}): ` +
            `expected an arrival, its first byte its kind (${KINDS}), or only zeros from there to the end of the file (a torn end)`,
        );
    }
    if (at + 8 + len > bytes.length) {
      // Torn, or a length damaged in the middle of the file: then whole frames follow it.
      const next = framesFrom(bytes, at + 1);
      if (next !== undefined)
        throw new DataError(
          path,
          `arrival ${f} (the frame at byte ${at}) claims ${len} bytes, past the end of the file, but whole frames follow from byte ${next}: the capture is damaged (only its last frame may be cut short)`,
        );
      torn = bytes.length - at;
      break;
    }
    const payload = bytes.subarray(at + 8, at + 8 + len);
    if (crc32(payload) !== crc) {
      // Only the last frame may be torn (a run killed mid-write, or a power loss that zeroed its
      // blocks and the ones after it); a bad frame with more than zeros after it is damage.
      if (firstNonZero(bytes, at + 8 + len) < 0) {
        torn = bytes.length - at;
        break;
      }
      throw new DataError(
        path,
        `arrival ${f} (the frame at byte ${at}) fails its checksum, and more than zeros follows it: the capture is damaged (only its last frame may be cut short, and only zeros may follow it)`,
      );
    }
    if (!header) {
      if (payload[0] !== HEADER) throw new DataError(path, 'no capture header: expected a file written by `alpha live`');
      header = parseHeader(path, payload.subarray(1));
      cs = codecs(header.nodes);
    } else {
      const kind = payload[0]!; // len > 0: a header is read before any empty frame gets here
      if (!Object.values<number>(KIND).includes(kind))
        throw new DataError(
          path,
          `arrival ${f} (the frame at byte ${at}): kind byte ${hexByte(kind)}${kind === HEADER ? " (a capture header's: only the first frame is one)" : ''}: ` +
            `expected an arrival's kind (${KINDS})`,
        );
      let arrival: Arrival;
      try {
        arrival = decodeArrival(payload, cs);
      } catch (err) {
        throw new DataError(path, `arrival ${f}: ${(err as Error).message}`);
      }
      if (ended) throw new DataError(path, `arrival ${f}: a ${arrival.kind} after the end of the run: the end is the last arrival`);
      if ('at' in arrival) {
        if (!(Number.isFinite(arrival.at) && arrival.at >= 0 && arrival.at <= Number.MAX_SAFE_INTEGER))
          throw new DataError(path, `arrival ${f}: a ${arrival.kind} at ${arrival.at}: expected a time (µs since the epoch)`);
        // The live driver takes its steps in time order, and writes each as it takes it.
        if (arrival.at < lastAt)
          throw new DataError(
            path,
            `arrival ${f}: a ${arrival.kind} at ${arrival.at}, before the arrival before it (at ${lastAt}): arrivals are written in time order`,
          );
        lastAt = arrival.at;
      }
      arrivals.push(arrival);
      if (arrival.kind === 'end') ended = true;
    }
    at += 8 + len;
  }
  if (!header) throw new DataError(path, 'no capture header: expected a file written by `alpha live`');
  return { header, arrivals, ended, tornBytes: torn, tornZeros: zeros, bytes: bytes.length - torn };
}

/** `0x09`: a byte as the capture's errors show it. */
function hexByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

const ZEROS = Buffer.alloc(1 << 16);

/** The offset of the first byte at or after `from` that is not 0, or -1 when there is none (64 KiB compared at a time). */
function firstNonZero(bytes: Buffer, from: number): number {
  for (let at = from; at < bytes.length; at += ZEROS.length) {
    const end = Math.min(at + ZEROS.length, bytes.length);
    if (bytes.subarray(at, end).equals(ZEROS.subarray(0, end - at))) continue;
    for (let i = at; i < end; i++) if (bytes[i] !== 0) return i;
  }
  return -1;
}

/**
 * Where whole frames (each of at least one byte, its checksum right) run from some offset after
 * `from` to the end of the file: the first such offset, or undefined when there is none (a torn end,
 * a prefix of one frame, has none). One pass from the end, each offset's frame checked once, whose
 * length leads to an offset already known to start such a run; a file built to need more checksums
 * than a few times its size is damage too (answered as the offset where the search stopped).
 */
function framesFrom(bytes: Buffer, from: number): number | undefined {
  const n = bytes.length - from;
  if (n < 9) return undefined;
  const good = new Uint8Array(n + 1);
  good[n] = 1;
  let budget = 4 * n + (1 << 20);
  let first: number | undefined;
  for (let i = n - 9; i >= 0; i--) {
    const q = from + i;
    const len = bytes.readUInt32LE(q);
    const next = i + 8 + len;
    if (len === 0 || next > n || good[next] !== 1) continue;
    budget -= len;
    if (budget < 0) return q;
    if (crc32(bytes.subarray(q + 8, q + 8 + len)) === bytes.readUInt32LE(q + 4)) {
      good[i] = 1;
      first = q;
    }
  }
  return first;
}

function parseHeader(path: string, json: Buffer): CaptureHeader {
  const read = parseJsonText(json.toString('utf8'));
  if ('error' in read) throw new DataError(path, `the capture header is not JSON (${read.error})`);
  const h = read.value as CaptureHeader;
  const schemas = new Set<string>(SCHEMA_NAMES);
  const ok =
    h !== null &&
    typeof h === 'object' &&
    h.format === FORMAT &&
    isMicros(h.start) &&
    Array.isArray(h.universe) &&
    h.universe.every((u) => typeof u?.symbol === 'string' && typeof u.sector === 'string') &&
    new Set(h.universe.map((u) => u.symbol)).size === h.universe.length &&
    Array.isArray(h.sessions) &&
    // Each session opens before it closes, after the one before it closed.
    h.sessions.every(
      (x, i) => isMicros(x?.open) && isMicros(x.close) && x.open < x.close && (i === 0 || x.open >= h.sessions[i - 1]!.close),
    ) &&
    (h.group === undefined || typeof h.group === 'string') &&
    (h.run_id === undefined || typeof h.run_id === 'string') &&
    (h.replica === undefined ||
      (Number.isInteger(h.replica?.index) && Number.isInteger(h.replica.of) && h.replica.index >= 0 && h.replica.index < h.replica.of)) &&
    (h.time === undefined || [h.time?.speed, h.time?.origin, h.time?.system].every(Number.isFinite)) &&
    (h.topology_sha256 === undefined || (typeof h.topology_sha256 === 'string' && /^[0-9a-f]{64}$/.test(h.topology_sha256))) &&
    Array.isArray(h.nodes) &&
    h.nodes.every(
      (n) =>
        n !== null &&
        typeof n === 'object' &&
        typeof n.node === 'string' &&
        nameProblem(n.node) === undefined &&
        (n.kind === 'source' || n.kind === 'external') &&
        n.ports !== null &&
        typeof n.ports === 'object' &&
        Object.keys(n.ports).length > 0 &&
        // Node and port names are identifiers, as in a topology ("__proto__" read back as another object's).
        Object.keys(n.ports).every((port) => nameProblem(port) === undefined) &&
        Object.values(n.ports).every((s) => schemas.has(s as string)),
    ) &&
    new Set(h.nodes.map((n) => n.node)).size === h.nodes.length;
  if (!ok)
    throw new DataError(
      path,
      `the capture header is not ${FORMAT}: expected its start (µs since the epoch), its sessions (none, or each opening before it closes, in order, in µs since the epoch), ` +
        "its universe (each symbol once), its nodes (each once, with its ports' schemas) and, when it names one, its topology's sha256 (64 hex digits)",
    );
  return h;
}

/** A time the run's clock can hold: µs since the epoch, a whole number (a session at -1e300 made every timer of the replay fire at one time for ever). */
function isMicros(t: unknown): t is number {
  return Number.isSafeInteger(t) && (t as number) >= 0;
}

function decodeArrival(p: Buffer, cs: readonly Codec[]): Arrival {
  const codec = (i: number): Codec => {
    const c = cs[i];
    if (!c) throw new Error(`node #${i} is not in the header`);
    return c;
  };
  const atLeast = (n: number, what: string): void => {
    if (p.length < n) throw new Error(`a ${what} arrival of ${p.length} bytes: expected ${n} at least`);
  };
  switch (p[0]) {
    case KIND.source: {
      atLeast(3, 'source');
      const c = codec(p.readUInt16LE(1));
      return { kind: 'source', node: c.node.node, records: c.types[0]!.fromBuffer(p.subarray(3)) as unknown[] };
    }
    case KIND.external: {
      atLeast(13, 'external');
      const c = codec(p.readUInt16LE(1));
      const at = p.readDoubleLE(3);
      const n = p.readUInt16LE(11);
      let o = 13;
      const emitted: { port: string; records: unknown[] }[] = [];
      for (let k = 0; k < n; k++) {
        if (o + 5 > p.length) throw new Error(`${c.node.node}'s arrival ends inside its record #${k} header`);
        const port = p[o]!;
        const len = p.readUInt32LE(o + 1);
        if (o + 5 + len > p.length) throw new Error(`${c.node.node}'s records #${k} claim ${len} bytes past the arrival's end`);
        const type = c.types[port];
        if (!type) throw new Error(`port #${port} of ${c.node.node} is not in the header`);
        emitted.push({ port: c.ports[port]!, records: type.fromBuffer(p.subarray(o + 5, o + 5 + len)) as unknown[] });
        o += 5 + len;
      }
      if (o === p.length) return { kind: 'external', node: c.node.node, at, emitted };
      if (o + 8 !== p.length) throw new Error(`${p.length - o} bytes after the records of ${c.node.node}'s arrival`);
      return { kind: 'external', node: c.node.node, at, emitted, mark: p.readDoubleLE(o) };
    }
    case KIND.wake:
      atLeast(9, 'wake');
      return { kind: 'wake', at: p.readDoubleLE(1) };
    case KIND.command: {
      atLeast(9, 'command');
      const c = JSON.parse(p.subarray(9).toString('utf8')) as { command: LiveCommand; text: string };
      if (!COMMANDS.includes(c.command) || typeof c.text !== 'string') throw new Error('a command that is not one');
      return { kind: 'command', at: p.readDoubleLE(1), command: c.command, text: c.text };
    }
    case KIND.end:
      atLeast(9, 'end');
      return { kind: 'end', at: p.readDoubleLE(1) };
    default:
      // readCapture checks the kind byte first.
      throw new Error(`kind byte ${hexByte(p[0] ?? 0)}: expected an arrival's kind (${KINDS})`);
  }
}
