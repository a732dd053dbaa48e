/**
 * A strict CSV reader (RFC 4180: commas, optional double quotes with `""` inside, CRLF or LF, a UTF-8
 * byte-order mark ignored) that keeps the line each record starts on, for `file:line` in rejects. A
 * record with the wrong number of fields, or a quote left open, is a row error, not an exception.
 */

export interface CsvRow {
  /** 1-based line of the file where the record starts. */
  line: number;
  /** The fields, or why the record could not be split into them. */
  fields: string[] | { problem: string };
}

/** The records of `text` (the header included, as the first); empty lines are skipped. */
export function* csvRecords(text: string): Generator<CsvRow> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let problem: string | undefined;
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) {
            problem = 'a quoted field is not closed before the end of the file';
            break;
          }
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
        if (!problem && i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r')
          problem = `unexpected ${JSON.stringify(text[i])} after a closing quote (expected a comma or the end of the line)`;
      } else {
        const from = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
        value = text.slice(from, i);
        if (value.includes('"')) problem = 'a double quote inside an unquoted field (quote the whole field and double the quote)';
      }
      fields.push(value);
      if (problem) break;
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    // Skip to the end of this line (the rest of a broken record goes with it).
    while (i < n && text[i] !== '\n') i++;
    if (i < n) {
      i++;
      line++;
    }
    if (problem) yield { line: start, fields: { problem } };
    else if (!(fields.length === 1 && fields[0]!.trim() === '')) yield { line: start, fields };
  }
}
