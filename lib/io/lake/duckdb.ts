/**
 * An in-memory DuckDB with the delta extension loaded from the project's extension folder
 * (lib/io/lake/install.ts), never from the network: autoinstall and autoload are off, the extension
 * directory is set explicitly, and DuckDB checks the extension's signature as it loads it.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AlphaError } from '../../core/errors.ts';
import { lakeInstall } from './install.ts';

export interface Duck {
  connection: DuckDBConnection;
  /** Runs `cleanup` when the session closes, once DuckDB has let go of its files (e.g. removes files it read). */
  onClose(cleanup: () => void): void;
  close(): void;
}

export async function openDuck(): Promise<Duck> {
  const { extensionDir } = lakeInstall();
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    extension_directory: extensionDir,
    threads: '2',
  });
  const connection = await instance.connect();
  try {
    await connection.run('LOAD delta');
    // Dates of TIMESTAMPTZ values (the partition of a row, --from/--to) are UTC dates.
    await connection.run("SET TimeZone = 'UTC'");
  } catch (err) {
    connection.closeSync();
    instance.closeSync();
    throw new AlphaError(
      `cannot load DuckDB's delta extension from ${extensionDir} (${message(err)}): run bash scripts/lake/setup.sh --force`,
    );
  }
  const cleanups: (() => void)[] = [];
  return {
    connection,
    onClose: (cleanup) => cleanups.push(cleanup),
    close: () => {
      try {
        connection.closeSync();
        instance.closeSync();
      } finally {
        for (const cleanup of cleanups.splice(0)) cleanup();
      }
    },
  };
}

/** A DuckDB identifier, quoted. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A DuckDB string literal (for what cannot be a bound parameter, such as a table function's path). */
export const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** The first line of a DuckDB error, with what to do when it is the object store's (cold tier) refusal. */
export const message = (err: unknown): string => {
  const line = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  if (/HTTP 403/.test(line)) return `${line}: the object store refused the credentials in ALPHA_S3_ACCESS_KEY / ALPHA_S3_SECRET_KEY`;
  if (/Could not connect to server/.test(line)) return `${line}: is the object store running? (npm run services:up starts it)`;
  return line;
};
