/**
 * Text for a terminal, from bytes a hostile file may have chosen: a message may quote a file's bytes
 * (JSON.parse quotes the start of what it could not read, a validator quotes a key), and an escape
 * sequence there would reach the terminal (a manifest.json of ESC ] 0 ; … BEL retitled it, ESC [ 2 J
 * cleared it).
 */

/** Control characters other than newline and tab as \xNN. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it replaces.
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** printable, and a newline as \n too: one line, whatever the text holds (a key with a line break cannot add an `alpha:` line). */
export function printableLine(text: string): string {
  return printable(text).replace(/\n/g, '\\n');
}
