/**
 * Avro values of one edge: registers the edge's schema under `<topic>-value` (BACKWARD compatibility)
 * and encodes with it; decodes any value whose writer schema, looked up by the id in its header,
 * resolves to the edge's schema. A value that cannot be decoded gets a reason, never an exception,
 * so the reader can dead-letter it.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import avro from '../avro-bounds.ts';
import { avroSchema } from '../../../schemas/avro.ts';
import type { SchemaName } from '../../../schemas/types.generated.ts';
import { inParallel } from '../../core/in-parallel.ts';
import { oneLine } from '../../core/json-text.ts';
import { KafkaEdgeError } from './errors.ts';
import { frame, HEADER_BYTES, MAGIC, schemaIdOf, writeHeader } from './wire.ts';

interface Reader {
  decode(buf: Buffer, pos: number): { value: unknown; offset: number };
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/** Values of the project's schemas: timestamp-micros longs are plain JS numbers. */
export function avroType(schema: SchemaName | object): avro.Type {
  const raw = typeof schema === 'string' ? avroSchema(schema) : schema;
  return avro.Type.forSchema(raw as avro.Schema, { wrapUnions: false });
}

/**
 * Two processes registering a new subject at once (the replicas of a group) race on its
 * compatibility rule: the loser is told the rule already exists, or that the compatibility does not
 * match while the other's rule is half made. Registering again finds the subject and the same schema,
 * so a few tries settle it; a real refusal (an incompatible schema) fails each, and its last answer
 * is the error.
 */
async function registerOnce(register: () => Promise<{ id: number }>, expired: () => boolean): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await register()).id;
    } catch (err) {
      // A registry that does not answer is not asked again: each try would wait as long.
      if (attempt >= 4 || timedOut(err) || expired()) throw err;
      await new Promise((r) => setTimeout(r, 150 * attempt));
    }
  }
}

/** A middleware of the registry client (mappersmith's), as its constructor takes it. */
type Middleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

/** A mappersmith middleware giving each request of the registry client `ms` without an answer before it is cut. */
function answerWithin(ms: number): Middleware {
  return () => ({
    prepareRequest: async (next) => (await next()).enhance({ timeout: ms }),
  });
}

/** The `error_code` of a registry's JSON error answer, or undefined. */
function registryErrorCode(body: string): number | undefined {
  try {
    const code = (JSON.parse(body) as { error_code?: unknown } | null)?.error_code;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the registry client gave up waiting (mappersmith's "Timeout (N ms)"). */
const timedOut = (err: unknown): boolean => /\bTimeout \(\d+ms\)/.test(err instanceof Error ? err.message : String(err));

/** Most bytes `encodeAll` sets aside before it has encoded anything of a batch. */
const INITIAL_ROOM_MAX = 8 << 20;
/** How long one registry lookup may take, and how large its answer may be (a schema is a few kB). */
const REGISTRY_TIMEOUT_MS = 10_000;
const REGISTRY_ANSWER_MAX = 1 << 20;
/**
 * Writer schemas remembered at most between batches. Each id a record names is looked up once and
 * remembered (an unknown one too, so it is not asked for again), and ids come from the records:
 * without a bound, a topic of made-up ids would grow the cache for as long as the process runs.
 */
export const MAX_REMEMBERED_IDS = 1024;
/** Registry lookups a batch runs side by side (a topic of made-up ids took 4 ms a record one by one). */
const LOOKUPS_AT_ONCE = 16;

/** The body of a registry answer, as text, refused past `max` bytes (a declared length, or what arrived). */
async function readCapped(res: Response, max: number, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    throw new KafkaEdgeError(`${what}: the answer declares ${declared} bytes, more than the ${max} a schema takes`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) {
      await res.body.cancel().catch(() => undefined);
      throw new KafkaEdgeError(`${what}: the answer runs past ${max} bytes, more than a schema takes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class SchemaCodec<T> {
  private readonly readers = new Map<number, Promise<Reader | { error: string }>>();
  /** The readers already looked up, for the synchronous path. */
  private readonly known = new Map<number, Reader | { error: string }>();
  /** The average framed value of the last batch: how much room `encodeAll` starts with per value. */
  private sizeHint = 96;

  private constructor(
    private readonly registryUrl: string,
    readonly subject: string,
    readonly schemaId: number,
    readonly type: avro.Type,
    /** How long one registry lookup may take. */
    private readonly timeoutMs = REGISTRY_TIMEOUT_MS,
  ) {}

  /** Registers `schema` under `<topic>-value` (reusing the id when the same schema is there). */
  static async open<T>(
    registryUrl: string,
    topic: string,
    schema: SchemaName,
    options: { timeoutMs?: number } = {},
  ): Promise<SchemaCodec<T>> {
    const timeoutMs = options.timeoutMs ?? REGISTRY_TIMEOUT_MS;
    // The client's own retries are off (registerOnce retries what is worth it): with them, a registry that
    // took the connection and never answered held a run for minutes; without a timeout, for ever. Its
    // timeout is the socket's idle time, so the whole registration also has a deadline, which destroys
    // the client's sockets (a registry that sent a byte every 0.5 s held it for ever).
    const agent = registryUrl.startsWith('https:') ? new HttpsAgent() : new HttpAgent();
    const registry = new SchemaRegistry({ host: registryUrl, retry: { retries: 0 }, middlewares: [answerWithin(timeoutMs)], agent }, {
      forSchemaOptions: { wrapUnions: false },
    } as never);
    const subject = `${topic}-value`;
    const text = JSON.stringify(avroSchema(schema));
    let expired = false;
    let deadline: NodeJS.Timeout | undefined;
    // The client may never settle a request whose socket was destroyed mid-answer: the deadline does.
    const gaveUp = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => {
        expired = true;
        agent.destroy();
        reject(new Error(`no answer in ${timeoutMs / 1000} s`));
      }, timeoutMs);
    });
    let id: number;
    try {
      const registering = registerOnce(
        () => registry.register({ type: SchemaType.AVRO, schema: text }, { subject, compatibility: COMPATIBILITY.BACKWARD }),
        () => expired,
      );
      registering.catch(() => {}); // after the deadline, its end no longer matters
      id = await Promise.race([registering, gaveUp]);
    } catch (err) {
      const why =
        expired || timedOut(err)
          ? `no answer in ${timeoutMs / 1000} s`
          : err instanceof TypeError
            ? // The client read an answer it did not expect ("Cannot read properties of undefined …").
              `its answer is not what a Confluent-compatible registry API sends (the client failed reading it: ${describe(err)}); expected the registry's URL`
            : unreachable(err) !== undefined
              ? `cannot connect (${unreachable(err)}): is a registry running at that URL? \`npm run services:up\` starts the local one`
              : `${describe(err)} (an incompatible schema already registered there? the registry down? \`npm run services:up\` starts it)`;
      throw new KafkaEdgeError(`schema registry ${shownUrl(registryUrl)}: registering ${schema} as subject "${subject}" failed: ${why}`);
    } finally {
      clearTimeout(deadline);
      agent.destroy();
    }
    return new SchemaCodec<T>(registryUrl, subject, id, avroType(schema));
  }

  /** Decodes only (registers nothing): every writer schema is looked up by its id. */
  static reader<T>(registryUrl: string, topic: string, schema: SchemaName, options: { timeoutMs?: number } = {}): SchemaCodec<T> {
    return new SchemaCodec<T>(registryUrl, `${topic}-value`, -1, avroType(schema), options.timeoutMs);
  }

  /** The framed value; names the first field that does not fit the schema. */
  encode(value: T): Buffer {
    let body: Buffer;
    try {
      body = this.type.toBuffer(value);
    } catch {
      const paths: string[] = [];
      this.type.isValid(value, { errorHook: (path, v) => paths.push(`${path.join('.') || '(record)'} = ${JSON.stringify(v)}`) });
      throw new KafkaEdgeError(`${this.subject}: value does not match schema ${this.type.name ?? ''}: ${paths.join('; ') || 'invalid'}`);
    }
    return frame(this.schemaId, body);
  }

  /**
   * Frames and encodes `values` back to back into one buffer (no buffer per value): the bytes of
   * value i are the next `lengths[i]`, exactly what `encode` gives for it.
   */
  encodeAll(values: readonly T[]): { data: Buffer; lengths: Int32Array } {
    const lengths = new Int32Array(values.length);
    // Room for values the size of the last batch's, on average (not its largest: one huge value would
    // make every later batch of small ones allocate, and hold, that much per value); past it, the buffer grows.
    let buf = Buffer.allocUnsafe(Math.max(1024, Math.min(values.length * this.sizeHint, INITIAL_ROOM_MAX)));
    let pos = 0;
    for (let i = 0; i < values.length; i++) {
      const start = pos;
      for (;;) {
        let needed = start + HEADER_BYTES + this.sizeHint;
        if (start + HEADER_BYTES <= buf.length) {
          const end = this.encodeBody(values[i]!, buf, start + HEADER_BYTES);
          if (end >= 0) {
            writeHeader(buf, start, this.schemaId);
            lengths[i] = end - start;
            pos = end;
            break;
          }
          // avsc wrote the whole value past the end and says how many bytes were missing: grow to
          // fit it at once (doubling until it fitted wrote a 40 kB cross-section six times over).
          needed = buf.length - end;
        }
        const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, needed));
        buf.copy(bigger, 0, 0, pos);
        buf = bigger;
      }
    }
    if (values.length > 0) this.sizeHint = Math.ceil(pos / values.length);
    return { data: buf.subarray(0, pos), lengths };
  }

  /** Writes the Avro body at `pos`; the position after it, or < 0 when `buf` is too small. */
  private encodeBody(value: T, buf: Buffer, pos: number): number {
    try {
      return this.type.encode(value, buf, pos);
    } catch {
      this.encode(value); // throws the error that names the field
      throw new KafkaEdgeError(`${this.subject}: value does not match schema ${this.type.name ?? ''}`);
    }
  }

  /**
   * Looks up the writer schema of `id` (once per id) so that `decodeAt` decodes its values without
   * waiting; true when that schema is the edge's own (its bodies read as the edge's type, unresolved).
   * Fails as `decode` does when the registry cannot answer.
   */
  async prepare(id: number): Promise<boolean> {
    if (this.isOwn(id)) return true;
    const reader = this.known.get(id) ?? (await this.readerFor(id));
    if (this.readers.has(id)) this.known.set(id, reader);
    return reader === this.type;
  }

  /** Whether the writer schema of `id` has been looked up (and is still remembered). */
  remembers(id: number): boolean {
    return this.isOwn(id) || this.readers.has(id);
  }

  /**
   * Looks up every id of a batch not looked up yet, LOOKUPS_AT_ONCE at a time, after forgetting the
   * oldest past MAX_REMEMBERED_IDS (between batches, so that a batch's own ids all stay until it is
   * decoded). Returns the first id whose schema is the edge's own, if any.
   */
  async prepareAll(ids: Iterable<number>): Promise<number | undefined> {
    this.forgetOldest();
    const all = [...ids];
    // After a failed lookup (the registry down) the batch fails: no more lookups are started.
    const own = await inParallel(all, LOOKUPS_AT_ONCE, (id) => this.prepare(id));
    return all.find((_, k) => own[k]);
  }

  /** Past MAX_REMEMBERED_IDS, forgets ids that name no schema first, then the oldest. */
  private forgetOldest(): void {
    let over = this.readers.size - MAX_REMEMBERED_IDS;
    if (over <= 0) return;
    for (const [id, reader] of this.known) {
      if (over <= 0) break;
      if ('error' in reader) {
        this.readers.delete(id);
        this.known.delete(id);
        over--;
      }
    }
    for (const id of this.readers.keys()) {
      if (over-- <= 0) break;
      this.readers.delete(id);
      this.known.delete(id);
    }
  }

  /**
   * Whether `id` is the id this codec registered. A reader registers nothing (its id is -1), so a
   * value framed with id -1 (bytes ff ff ff ff) is looked up in the registry like any other, not taken
   * as the edge's own schema.
   */
  private isOwn(id: number): boolean {
    return this.schemaId >= 0 && id === this.schemaId;
  }

  /** Decodes a framed value into the edge's schema, resolving from the writer's schema when it differs. */
  async decode(value: Buffer | null): Promise<Decoded<T>> {
    const quick = this.decodeKnown(value);
    if (quick) return quick;
    const header = schemaIdOf(value!);
    if ('error' in header) return { ok: false, error: header.error };
    return this.decodeWith(value!, header.id, await this.readerFor(header.id));
  }

  /** `decode` without waiting: undefined when the writer schema still has to be fetched. */
  decodeKnown(value: Buffer | null): Decoded<T> | undefined {
    if (value === null) return { ok: false, error: 'null value without an alpha.watermark or alpha.end header' };
    const header = schemaIdOf(value);
    if ('error' in header) return { ok: false, error: header.error };
    const reader = this.isOwn(header.id) ? this.type : this.known.get(header.id);
    return reader ? this.decodeWith(value, header.id, reader) : undefined;
  }

  /**
   * `decodeKnown` for the value at `[start, end)` of `buf` (a batch's values back to back), without
   * a buffer for it: the same result, undefined when the writer schema still has to be fetched.
   */
  decodeAt(buf: Buffer, start: number, end: number): Decoded<T> | undefined {
    if (end - start >= HEADER_BYTES && buf[start] === MAGIC) {
      const id = buf.readInt32BE(start + 1);
      const reader = this.isOwn(id) ? this.type : this.known.get(id);
      if (reader && !('error' in reader)) {
        try {
          const { value, offset } = reader.decode(buf, start + HEADER_BYTES);
          if (offset === end) return { ok: true, value: value as T };
        } catch {
          // the value's own bytes say why, below
        }
      }
    }
    // Anything but a clean decode: on the value's own bytes, for the exact reason.
    return this.decodeKnown(buf.subarray(start, end));
  }

  private decodeWith(value: Buffer, id: number, reader: Reader | { error: string }): Decoded<T> {
    const header = { id };
    if ('error' in reader) return { ok: false, error: reader.error };
    try {
      const { value: decoded, offset } = reader.decode(value, HEADER_BYTES);
      if (offset < 0)
        return { ok: false, error: `truncated Avro body (${value.length - HEADER_BYTES} byte(s)) for schema id ${header.id}` };
      if (offset !== value.length)
        return { ok: false, error: `${value.length - offset} trailing byte(s) after the Avro body (schema id ${header.id})` };
      return { ok: true, value: decoded as T };
    } catch (err) {
      return { ok: false, error: `Avro body does not decode with schema id ${header.id}: ${describe(err)}` };
    }
  }

  /** A resolving type writer → the edge's schema, or why there is none. Cached per id. */
  private readerFor(id: number): Promise<Reader | { error: string }> {
    let p = this.readers.get(id);
    if (!p) {
      p = (async (): Promise<Reader | { error: string }> => {
        let writerSchema: unknown;
        const what = `schema registry ${shownUrl(this.registryUrl)}: GET /schemas/ids/${id}`;
        try {
          const res = await fetch(`${this.registryUrl}/schemas/ids/${id}`, { signal: AbortSignal.timeout(this.timeoutMs) });
          const body = await readCapped(res, REGISTRY_ANSWER_MAX, what);
          if (res.status === 404) {
            // The registry's own "no such schema" (error code 40403, Confluent's and Apicurio's ccompat API) is
            // the record's fault; any other 404 is the URL's (a path without /apis/ccompat/v7 dead-lettered a
            // whole topic as unknown ids, and committed past it).
            if (registryErrorCode(body) === 40403) return { error: `unknown schema id ${id} (not in the registry)` };
            throw new KafkaEdgeError(
              `${what} answered 404 without the registry's error code 40403 (${oneLine(body.slice(0, 120))}): expected the URL of a Confluent-compatible registry API (Apicurio's ends in /apis/ccompat/v7)`,
            );
          }
          if (!res.ok) throw new KafkaEdgeError(`${what} answered ${res.status} ${body.slice(0, 200)}`);
          const answer = schemaOfAnswer(body, id, what);
          if ('error' in answer) return answer;
          writerSchema = answer.schema;
        } catch (err) {
          if (err instanceof KafkaEdgeError) throw err;
          const timedOut = err instanceof Error && err.name === 'TimeoutError';
          throw new KafkaEdgeError(
            timedOut
              ? `${what}: no answer in ${this.timeoutMs / 1000} s`
              : `schema registry: fetching schema id ${id} failed: ${describe(err)}`,
          );
        }
        let writer: avro.Type;
        try {
          writer = avroType(writerSchema as object);
        } catch (err) {
          return { error: `schema id ${id} is not an Avro schema this reader can parse: ${describe(err)}` };
        }
        if (writer.equals(this.type)) return this.type;
        try {
          const resolver = this.type.createResolver(writer);
          return { decode: (buf, pos) => this.type.decode(buf, pos, resolver) };
        } catch (err) {
          return {
            error: `writer schema id ${id} (${writer.name ?? 'unnamed'}) cannot be resolved to ${this.type.name}: ${describe(err)}`,
          };
        }
      })();
      this.readers.set(id, p);
      p.then(
        (r) => {
          if (this.readers.get(id) === p) this.known.set(id, r);
        },
        () => undefined,
      );
      // A failed lookup (registry down) is not cached: the next record asks again.
      p.catch(() => {
        if (this.readers.get(id) === p) this.readers.delete(id);
      });
    }
    return p;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The network error of a registry that could not be reached (`connect ECONNREFUSED 127.0.0.1:1`), or
 * undefined. The registry client reports it as "Error, status 400: …" though nothing answered.
 */
function unreachable(err: unknown): string | undefined {
  const m = describe(err);
  if (!/\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EAI_AGAIN)\b/.test(m)) return undefined;
  return m.replace(/^.*?status \d+: /, '');
}

/** A registry URL as messages show it: a password in it is replaced by ***. */
export function shownUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}

/**
 * The writer schema in a registry's answer to GET /schemas/ids/N: `{"schema": "<schema as JSON text>"}`.
 * An answer of another shape is the registry's fault, not the record's: it fails the lookup (and is
 * not remembered) rather than dead-lettering good records. A schema of another type (Protobuf, JSON
 * Schema) is the record's: it becomes that record's reason.
 */
function schemaOfAnswer(body: string, id: number, what: string): { schema: unknown } | { error: string } {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    throw new KafkaEdgeError(`${what} answered something that is not JSON: expected {"schema": "<Avro schema>"}`);
  }
  const a = answer as { schema?: unknown; schemaType?: unknown } | null;
  if (typeof a !== 'object' || a === null || typeof a.schema !== 'string')
    throw new KafkaEdgeError(`${what} answered without a "schema" string: expected {"schema": "<Avro schema>"}`);
  if (a.schemaType !== undefined && a.schemaType !== 'AVRO')
    return { error: `schema id ${id} is a ${String(a.schemaType).slice(0, 40)} schema, not Avro` };
  try {
    return { schema: JSON.parse(a.schema) as unknown };
  } catch {
    throw new KafkaEdgeError(`${what} answered a "schema" that is not JSON: expected the text of an Avro schema`);
  }
}
