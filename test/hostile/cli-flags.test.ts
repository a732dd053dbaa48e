/**
 * Hostile flag values (empty, '0x10', '1e1', a run id that is not a name) on the commands that take
 * them: each is refused in one `alpha: …` line with exit 1 before anything runs, never taken as if the
 * flag were absent or as a number it does not spell. Through the real CLI, the launches side by side in
 * a temporary working folder; none reaches a dataset, a broker or an output folder.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, ROOT, runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const TOPOLOGY = join(ROOT, 'topology.yaml');
const SPLIT = join(ROOT, 'examples/kafka-split.yaml');

let top: string;
const cases: [string, string[], string][] = [];
let runs: CliRun[];

beforeAll(async () => {
  top = tempDir('cli-flags');
  const out = (name: string) => join(top, name);
  // An empty value fell back to the default: `--data ""` ran the topology's own data folder.
  const empty = 'a dataset folder (manifest.json), or no --data for the topology\'s "data:"';
  cases.push(
    ['backtest --data ""', ['backtest', TOPOLOGY, '--data', '', '--out', out('a')], `--data is empty: expected ${empty}`],
    [
      'backtest --from " "',
      ['backtest', TOPOLOGY, '--from', ' ', '--out', out('b')],
      '--from is empty: expected a date YYYY-MM-DD, or no --from for the first day',
    ],
    [
      'backtest --to=',
      ['backtest', TOPOLOGY, '--to=', '--out', out('c')],
      '--to is empty: expected a date YYYY-MM-DD, or no --to for the last day',
    ],
    [
      'sweep --data ""',
      ['sweep', TOPOLOGY, '--data', '', '--grid', 'sizing.gamma=1', '--out', out('d')],
      `--data is empty: expected ${empty}`,
    ],
    ['live --data ""', ['live', TOPOLOGY, '--data', '', '--out', out('e')], `--data is empty: expected ${empty}`],
  );
  // alpha run's run id ends topic names and reached the broker unchecked; its counts went through Number().
  const run = (name: string, ...more: string[]) => ['run', SPLIT, '--group', 'features', '--out', out(name), ...more];
  const runId = 'expected 1–64 letters, digits, "_" or "-" (it ends topic names)';
  cases.push(
    ['run --run-id ../x', run('f', '--run-id', '../x'), `--run-id "../x": ${runId}`],
    ['run --run-id ""', run('g', '--run-id', ''), `--run-id "": ${runId}`],
    ['run --attempt NaN', run('h', '--attempt', 'NaN'), '--attempt "NaN": expected a count of earlier starts, a whole number from 0'],
    ['run --replica 0x1', run('i', '--replica', '0x1'), '--replica "0x1": expected a replica index, a whole number from 0'],
  );
  // An empty --lake was the working folder: `alpha data ingest F --lake ""` created its table there.
  const csv = join(top, 'q.csv');
  writeFileSync(csv, 'symbol,ts_event,bid,ask,bid_size,ask_size\nAAA,2024-01-02T15:00:00Z,10,10.1,100,100\n');
  const lake = '--lake is empty: expected a lake folder (default data/lake)';
  const rejects = ['--rejects', join(top, 'rejects.txt')];
  cases.push(
    ['data ingest --lake ""', ['data', 'ingest', csv, '--format', 'quotes', '--dataset', 'q', '--lake', '', ...rejects], lake],
    ['backtest --lake ""', ['backtest', TOPOLOGY, '--lake', '', '--out', out('j')], lake],
  );
  // Numbers went through Number(): '' was 0 (--alpha "" made a pure-noise market), '0x3' 3, '1e1' 10;
  // model train's went to train.py unread, refused there after the features run.
  const digits = 'expected a number in plain digits (e.g. 40 or 0.03)';
  const gen = (name: string, ...more: string[]) => ['data', 'generate', '--out', out(name), '--symbols', '1', '--days', '1', ...more];
  const train = (...more: string[]) => [
    'model',
    'train',
    '--from',
    '2024-01-02',
    '--to',
    '2024-01-02',
    '--data',
    out('none'),
    '--out',
    out('k'),
    ...more,
  ];
  cases.push(
    ['data generate --alpha ""', gen('l', '--alpha', ''), `--alpha is "": ${digits}`],
    ['data generate --symbols 0x3', ['data', 'generate', '--out', out('n'), '--symbols', '0x3'], `--symbols is "0x3": ${digits}`],
    [
      'itch simulate --seed ""',
      ['itch', 'simulate', '--out', out('p.itch'), '--seed', ''],
      '--seed is "": expected an integer from 0 to 9,007,199,254,740,991',
    ],
    ['tap --max 0x10', ['tap', 'model', '--max', '0x10'], '--max is "0x10": expected an integer from 1 to 9,007,199,254,740,991'],
    ['model train --bottleneck ""', train('--bottleneck', ''), '--bottleneck is "": expected an integer from 1 to 1,024'],
    // A rows × bottleneck array of doubles: 100,000 on the sample's ~20,000 snapshot rows was 16 GB.
    ['model train --bottleneck 1025', train('--bottleneck', '1025'), '--bottleneck is "1025": expected an integer from 1 to 1,024'],
    ['model train --holdout 1', train('--holdout', '1'), '--holdout is "1": expected a fraction from 0 up to (not including) 1'],
    ['model train --max-dead-letters 2', train('--max-dead-letters', '2'), '--max-dead-letters is "2": expected a fraction from 0 to 1'],
    [
      'model train --max-dead-letters -0.1',
      train('--max-dead-letters', '-0.1'),
      '--max-dead-letters is "-0.1": expected a fraction from 0 to 1',
    ],
    [
      'model train --max-dead-letters NaN',
      train('--max-dead-letters', 'NaN'),
      '--max-dead-letters is "NaN": expected a number in plain digits (e.g. 40 or 0.03)',
    ],
    [
      'model train --max-dead-letters 1%',
      train('--max-dead-letters', '1%'),
      '--max-dead-letters is "1%": expected a number in plain digits (e.g. 40 or 0.03)',
    ],
    // An empty --out named no path ("--work …: is inside the model folder (--out) ;"); --format xml printed text.
    [
      'model train --out ""',
      ['model', 'train', '--from', '2024-01-02', '--to', '2024-01-02', '--out', ''],
      '--out is empty: expected the model folder to write (e.g. models/NAME)',
    ],
    [
      'model evaluate --format xml',
      ['model', 'evaluate', '--format', 'xml', '--out', out('t')],
      '--format is "xml": expected text or json',
    ],
  );
  // A malformed command line: commander's `error: …` came with the whole usage after it.
  const hint = '(--help lists what is accepted)';
  cases.push(
    ['backtest --bogus', ['backtest', TOPOLOGY, '--bogus', '--out', out('r')], `unknown option '--bogus' ${hint}`],
    ['no such command', ['nosuchcmd'], `unknown command 'nosuchcmd' ${hint}`],
    ['backtest without its file', ['backtest', '--out', out('s')], `missing required argument 'file' ${hint}`],
    // The flag is quoted back: an escape sequence in it reached the terminal as it was.
    [
      'an escape sequence in an unknown flag',
      ['backtest', TOPOLOGY, '--bo\u001b]0;pwned\u0007gus'],
      `unknown option '--bo\\x1b]0;pwned\\x07gus' ${hint}`,
    ],
  );
  // A flag given twice: commander kept the last value without a word (a Trade table made where a Quote
  // table was asked for first; a book of the second symbol only).
  cases.push(
    [
      'data lake create --schema twice',
      ['data', 'lake', 'create', 'q', '--schema', 'Quote', '--schema', 'Trade', '--lake', out('u')],
      '--schema is given twice: give it once',
    ],
    ['backtest --out twice', ['backtest', TOPOLOGY, '--out', out('v'), '--out', out('w')], '--out is given twice: give it once'],
    // A dataset of 1900 was written (exit 0), and every reader then refused it.
    [
      'data generate --start 1900-01-01',
      ['data', 'generate', '--out', out('z'), '--start', '1900-01-01'],
      `--start is "1900-01-01": expected a date from 1970-01-01 to 2255-06-04 (a dataset's times are whole µs since 1970-01-01 UTC, below 2^53)`,
    ],
    [
      'data generate --start 2255-06-04 --days 3',
      ['data', 'generate', '--out', out('z2'), '--start', '2255-06-04', '--days', '3', '--symbols', '2'],
      `--start 2255-06-04 with --days 3 ends on 2255-06-06: expected a date from 1970-01-01 to 2255-06-04 (a dataset's times are whole µs since 1970-01-01 UTC, below 2^53)`,
    ],
    // It said "--out : cannot write: ENOENT".
    [
      'data query --out ""',
      ['data', 'query', 'quotes', '--lake', out('y'), '--out', ''],
      '--out is empty: expected the file to write, or no --out for the terminal',
    ],
    ['validate --format twice', ['validate', TOPOLOGY, '--format', 'json', '--format', 'text'], '--format is given twice: give it once'],
    ['a boolean flag twice', ['backtest', TOPOLOGY, '--quiet', '--quiet', '--out', out('x')], '--quiet is given twice: give it once'],
  );
  // In the temporary folder, so that a table made in the working folder would show there.
  runs = await Promise.all(cases.map(([, args]) => runAlpha(args, 60_000, top)));
}, 60_000);

describe('hostile flag values', () => {
  it('refuses each in one alpha: line, exit 1, nothing written', () => {
    cases.forEach(([name, , message], i) => {
      const r = runs[i]!;
      expect({ name, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({
        name,
        code: 1,
        stderr: `alpha: ${message}\n`,
        stdout: '',
      });
    });
    for (const name of [
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
      'h',
      'i',
      'j',
      'k',
      'l',
      'm',
      'n',
      'o',
      'p.itch',
      'q',
      'r',
      's',
      'u',
      'v',
      'w',
      'x',
      'rejects.txt',
    ])
      expect(existsSync(join(top, name))).toBe(false);
  });

  it('takes a flag whose help says repeatable as often as it is given', async () => {
    const r = await runAlpha(['validate', TOPOLOGY, '--set', 'nosuch.a=1', '--set', 'nosuch2.b=2'], 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--set nosuch.a=1: no node named "nosuch"');
    expect(r.stderr).toContain('--set nosuch2.b=2: no node named "nosuch2"');
  });

  it('alpha run refused for its group leaves no --out behind (it made an empty one)', async () => {
    const data = await dataset({ symbols: 2, days: 1, seed: 3 });
    const out = join(top, 'no-group');
    const r = await runAlpha(['run', SPLIT, '--group', 'nosuch', '--data', data, '--out', out], 60_000);
    expect(r.code).toBe(65); // its input refused: a --split launcher does not start it again
    expect(r.stderr).toContain('no group "nosuch" — groups: features, trading');
    expect(existsSync(out)).toBe(false);
  });
});
