/**
 * A JSON Lines file written as it grows: lines are gathered into chunks of about 1 MiB and appended,
 * so a file of any length takes neither its whole text in memory nor one string (V8 caps a string at
 * 512 MB). For outputs a run writes into its staging folder (the taps), which the run commits whole,
 * or into its own folder (a live run's): what stood at the name is replaced, not written through.
 */
import { closeSync, writeSync } from 'node:fs';
import { openOwnFile } from '../../lib/io/own-file.ts';

const CHUNK_CHARS = 1 << 20;

export class JsonLinesFile {
  private fd: number | undefined;
  private chunk: string[] = [];
  private chars = 0;

  constructor(readonly path: string) {
    this.fd = openOwnFile(path);
  }

  add(line: string): void {
    this.chunk.push(line);
    this.chars += line.length + 1;
    if (this.chars >= CHUNK_CHARS) this.flush();
  }

  /** Writes what is gathered and closes the file; a second call does nothing. */
  close(): void {
    if (this.fd === undefined) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private flush(): void {
    if (this.chunk.length === 0 || this.fd === undefined) return;
    const bytes = Buffer.from(`${this.chunk.join('\n')}\n`);
    this.chunk = [];
    this.chars = 0;
    for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at, bytes.length - at);
  }
}
