/**
 * Control records of an edge: a null value with an `alpha.watermark=<µs>` header (no record with an
 * earlier event time follows on this partition) or `alpha.end=1` (the producer is done). They go to
 * every partition so that each consumer sees them in order with the data.
 */
export const WATERMARK_HEADER = 'alpha.watermark';
export const END_HEADER = 'alpha.end';

export type Control = { watermark: number } | { end: true };

export function controlHeaders(control: Control): Record<string, string> {
  if ('end' in control) return { [END_HEADER]: '1' };
  if (!Number.isSafeInteger(control.watermark))
    throw new RangeError(`watermark is ${control.watermark}: expected an integer number of µs since the epoch`);
  return { [WATERMARK_HEADER]: String(control.watermark) };
}

/** The control carried by a null-valued record's headers, or undefined if there is none. */
export function parseControl(headers: Record<string, string>): { watermark?: number; end?: boolean } | undefined {
  const w = headers[WATERMARK_HEADER];
  const e = headers[END_HEADER];
  if (w === undefined && e === undefined) return undefined;
  const out: { watermark?: number; end?: boolean } = {};
  if (w !== undefined) {
    const n = Number(w);
    if (!/^-?\d+$/.test(w) || !Number.isSafeInteger(n)) return undefined;
    out.watermark = n;
  }
  if (e !== undefined) {
    if (e !== '1') return undefined;
    out.end = true;
  }
  return out;
}
