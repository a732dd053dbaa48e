/**
 * JSON text read from a file, parsed, with the reason it is not JSON as one short line. V8's message
 * quotes the start of the text it could not read as it is, newlines included, so a hostile file
 * (`{\n"a":\n x\nalpha: all good`) printed lines of its own choosing under the CLI's `alpha:` line.
 */
const MAX_REASON = 300;

export function parseJsonText(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: oneLine(err instanceof Error ? err.message : String(err)) };
  }
}

/** The same for a file's bytes, which must be UTF-8 (a byte that is not is the reason, not a U+FFFD). */
export function parseJsonBytes(bytes: Uint8Array): { value: unknown } | { error: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    return { error: oneLine(err instanceof Error ? err.message : String(err)) };
  }
  return parseJsonText(text);
}

/** `text` with line breaks and tabs written as \n, \r, \t, cut to about MAX_REASON characters. */
export function oneLine(text: string): string {
  const line = text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON)}…` : line;
}
