/**
 * `alpha report RUN_DIR`: reads a run folder, computes its tear sheet and writes it as one
 * self-contained HTML file inside that folder (report.html unless --out names another file there),
 * atomically. ECharts' browser build is inlined, so the page needs no network when it is viewed.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { tearSheetHtml } from '../../lib/report/html.ts';
import type { MidSeries } from '../../lib/report/ic.ts';
import { tearSheet, type TearSheet } from '../../lib/report/tear-sheet.ts';
import { readManifest } from '../data/manifest.ts';
import { checkRunData } from './data-match.ts';
import type { VolumeSeries } from '../../lib/report/participation.ts';
import { leftOutNote, readMids, readVolumes } from './market-data.ts';
import { writeFileAtomically } from '../io/write-file.ts';
import { readRunFolder } from './run-folder.ts';

export interface ReportOptions {
  runDir: string;
  /** File name of the report inside the run folder (default report.html). */
  out?: string;
  /** The dataset the run replayed: its manifest gives each symbol's sector. */
  data?: string;
}

export interface ReportResult {
  path: string;
  bytes: number;
  sheet: TearSheet;
  /** What the report left out of --data's rows (those the replay refuses), one line each. */
  notes: string[];
  /** What could not be checked (--data against a run whose data hash is not of a data folder alone). */
  warnings: string[];
}

/** Why `name` cannot be the report's file name inside the run folder, or undefined. */
export function outNameProblem(name: string): string | undefined {
  if (name === '' || name.includes('/') || name.includes('\\') || name.includes('\0') || name === '.' || name === '..')
    return 'expected a file name inside the run folder, without a path (e.g. report.html)';
  if (name.startsWith('.')) return 'expected a file name that does not start with a dot (e.g. report.html)';
  if (!/\.html?$/i.test(name)) return 'expected a file name ending in .html (e.g. report.html)';
  if (name.length > 200) return 'expected a file name of at most 200 characters';
  return undefined;
}

function chartLibrary(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
}

export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const name = options.out ?? 'report.html';
  const problem = outNameProblem(name);
  if (problem) throw new AlphaError(`report --out ${JSON.stringify(name)}: ${problem}`);
  const run = readRunFolder(options.runDir);
  const path = join(options.runDir, name);
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing && !existing.isFile())
    throw new AlphaError(
      `report --out ${path}: exists and is not a regular file (a ${existing.isSymbolicLink() ? 'symlink' : 'folder or device'}): expected a new file or an earlier report`,
    );
  let sectors: Map<string, string> | undefined;
  let mids: Map<string, MidSeries> | undefined;
  let volumes: Map<string, VolumeSeries> | undefined;
  const notes: string[] = [];
  const warnings: string[] = [];
  if (options.data !== undefined) {
    const manifest = readManifest(options.data);
    const unchecked = checkRunData(options.runDir, run.summary, options.data, manifest);
    if (unchecked !== undefined) warnings.push(unchecked);
    sectors = new Map(manifest.universe.map((u) => [u.symbol, u.sector]));
    const note = (line: string | undefined): void => void (line !== undefined && notes.push(`--data ${options.data}: ${line}`));
    // The quotes are read only to score predictions.
    if (run.predictions) {
      const read = await readMids(options.data, manifest);
      mids = read.mids;
      note(leftOutNote(read.leftOut, 'the prediction IC'));
    }
    const read = await readVolumes(options.data, manifest);
    volumes = read.volumes;
    note(leftOutNote(read.leftOut, 'participation'));
  }
  const sheet = tearSheet(run, { ...(sectors ? { sectors } : {}), ...(mids ? { mids } : {}), ...(volumes ? { volumes } : {}) });
  const html = tearSheetHtml(sheet, run.summary, {
    chartLibrary: chartLibrary(),
    runName: basename(options.runDir.replace(/\/+$/, '')) || options.runDir,
  });
  const bytes = new TextEncoder().encode(html);
  writeFileAtomically('report --out', path, bytes);
  return { path, bytes: bytes.length, sheet, notes, warnings };
}
