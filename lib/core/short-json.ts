/**
 * A value as JSON for a message, cut at about `room` characters. It walks the value itself and stops
 * when the room is used, so a value nested a million deep (a hostile JSON file parses it) costs a
 * few steps, where JSON.stringify overflowed the stack. NaN and ±Infinity (YAML's .nan, .inf) are
 * shown as themselves, not as null.
 */
export function shortJson(value: unknown, room: number): string {
  let out = '';
  const put = (text: string): boolean => {
    out += text;
    return out.length < room;
  };
  const walk = (v: unknown): boolean => {
    if (typeof v === 'number') return put(Number.isFinite(v) ? String(v) : `"${v}"`);
    if (typeof v === 'string') return put(JSON.stringify(v.length > room ? v.slice(0, room) : v));
    if (v === null || typeof v === 'boolean') return put(String(v));
    if (typeof v !== 'object') return put(String(v));
    if (v instanceof Date) return put(JSON.stringify(v));
    if (Array.isArray(v)) {
      if (!put('[')) return false;
      for (let i = 0; i < v.length; i++) if ((i > 0 && !put(',')) || !walk(v[i])) return false;
      return put(']');
    }
    if (!put('{')) return false;
    let first = true;
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      if ((!first && !put(',')) || !put(`${JSON.stringify(k.length > room ? k.slice(0, room) : k)}:`) || !walk(x)) return false;
      first = false;
    }
    return put('}');
  };
  walk(value);
  return out;
}
