/**
 * A run's dead letters: every one counted (in total and by reason), the first of them kept in full
 * for `dead_letters.jsonl`. A hostile input can refuse millions of records (a file of crossed
 * quotes, a topic of another market): kept whole, 1.6M of them took 4.3 GB and a 518 MB file, and
 * about twice as many could not be written at all (a string over V8's 512 MB). So the file keeps the
 * first {@link DEAD_LETTERS_KEPT} letters and at most {@link DEAD_LETTER_BYTES_KEPT} bytes; a payload
 * over {@link PAYLOAD_CHARS_KEPT} characters is cut; and at most {@link REASONS_KEPT} reasons are
 * counted apart (the rest as "(other reasons)"). The summary says how many were written.
 */
import { deadLetterOf, type RefusedInput, toJson } from './node-context.ts';

export const DEAD_LETTERS_KEPT = 10_000;
export const DEAD_LETTER_BYTES_KEPT = 64 * 1024 * 1024;
export const PAYLOAD_CHARS_KEPT = 64 * 1024;
export const REASONS_KEPT = 1_000;

export class DeadLetterLog {
  /** Every dead letter of the run. */
  count = 0;
  private readonly lines: string[] = [];
  private bytes = 0;
  private full = false;
  /** By `NODE: reason` (byReason's keys), each with its node and reason apart (for the live metrics' labels). */
  private readonly reasons = new Map<string, ReasonCount>();

  constructor(
    private readonly keep = DEAD_LETTERS_KEPT,
    private readonly keepBytes = DEAD_LETTER_BYTES_KEPT,
  ) {}

  add(refused: RefusedInput): void {
    this.count++;
    this.countReason(refused);
    if (this.full || this.lines.length >= this.keep) {
      this.full = true;
      return;
    }
    const letter = deadLetterOf(refused);
    const payload =
      letter.payload.length <= PAYLOAD_CHARS_KEPT
        ? letter.payload
        : `${letter.payload.slice(0, PAYLOAD_CHARS_KEPT)}… (cut: ${letter.payload.length} characters)`;
    const line = `${toJson(payload === letter.payload ? letter : { ...letter, payload })}\n`;
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.keepBytes) {
      this.full = true;
      return;
    }
    this.lines.push(line);
    this.bytes += size;
  }

  /** How many letters `text()` holds: all of them unless the run refused more than the file keeps. */
  get written(): number {
    return this.lines.length;
  }

  /** `dead_letters.jsonl`: one JSON line per kept letter, in the order they came. */
  text(): string {
    return this.lines.join('');
  }

  /** Counts by `NODE: reason` (the reason's class: see {@link reasonClass}). */
  byReason(): Record<string, number> {
    return Object.fromEntries([...this.reasons].map(([key, r]) => [key, r.count]));
  }

  /** The same counts with the node and the reason apart (live.ts's metrics read them while the run goes). */
  reasonCounts(): Iterable<Readonly<ReasonCount>> {
    return this.reasons.values();
  }

  private countReason(letter: RefusedInput): void {
    const reason = reasonClass(letter.reason, letter.input);
    const key = `${letter.node}: ${reason}`;
    const counted = this.reasons.get(key);
    if (counted !== undefined) counted.count++;
    else if (this.reasons.size < REASONS_KEPT) this.reasons.set(key, { node: letter.node, reason, count: 1 });
    else {
      const other = `${letter.node}: (other reasons)`;
      const rest = this.reasons.get(other);
      if (rest !== undefined) rest.count++;
      else this.reasons.set(other, { node: letter.node, reason: '(other reasons)', count: 1 });
    }
  }
}

interface ReasonCount {
  node: string;
  reason: string;
  count: number;
}

/** The fields of a refused record that name it alone: in a reason's class they would make one class per record. */
const OWN_IDS = ['order_id', 'target_order_id'] as const;

/**
 * What a dead letter is counted under: its reason up to the first colon, with the refused record's
 * own ids in it replaced by their field's name (`duplicate order id <order_id>`), so a venue refusing
 * every order makes one count, not one per order.
 */
export function reasonClass(reason: string, input: unknown): string {
  const head = reason.split(':')[0]!;
  if (input === null || typeof input !== 'object') return head;
  const ids = new Map<string, string>();
  for (const field of OWN_IDS) {
    const id = (input as Record<string, unknown>)[field];
    if (typeof id === 'string' && id.length > 0 && !ids.has(id)) ids.set(id, `<${field}>`);
  }
  if (ids.size === 0) return head;
  // Whole words only: an id "a" leaves "duplicate" as it is.
  return head
    .split(' ')
    .map((word) => ids.get(word) ?? word)
    .join(' ');
}
