/**
 * Every `npm run bench…` script, and bench:kafka's writer process (bench/kafka-edge-writer.ts), on
 * what it does not take: an unknown flag, a stray word, a value out of range. Each gets one
 * `alpha bench…` line naming what would be accepted and exit 2, with nothing on stdout, before it
 * generates data, builds natives or starts a service (none of which this test needs). The cases run
 * side by side (each is a process start), then are checked one by one.
 */
import { execFile } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';

interface Ran {
  status: number | null;
  stderr: string;
  stdout: string;
}

const run = (script: string, args: readonly string[]): Promise<Ran> =>
  new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 90_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });

/** [bench name in the line, its script, the arguments, what the line says]. */
const cases: [string, string, string[], RegExp][] = [
  ['graph', 'bench/graph.ts', ['--bogus'], /Unknown option '--bogus' \(flags: --quotes 1000000 --runs 10 /],
  ['graph', 'bench/graph.ts', ['--runs', '0'], /--runs '0': expected a whole number from 1 to 1,000$/],
  ['graph', 'bench/graph.ts', ['--parquet-child', '5:x'], /--parquet-child/],
  ['risk', 'bench/risk.ts', ['--repeats', '0'], /--repeats '0': expected a whole number from 1 to 10,000$/],
  ['risk', 'bench/risk.ts', ['--sizes', '100,,500'], /--sizes '100,,500': expected whole numbers/],
  ['model', 'bench/model.ts', ['stray'], /Unexpected argument 'stray'.*\(flags: --model models\/default/],
  ['model', 'bench/model.ts', ['--rows', 'abc'], /--rows 'abc': expected a whole number from 1 to 100,000$/],
  ['sweep', 'bench/sweep.ts', ['--points', '17'], /--points '17': expected a whole number from 1 to 16$/],
  ['broker', 'bench/broker.ts', ['--algos', '--bogus'], /Unknown option '--bogus' \(flags: --runs 3 --data data\/sample --algos\)$/],
  ['broker', 'bench/broker.ts', ['--runs', '1.5'], /--runs '1.5': expected a whole number/],
  ['venue', 'bench/venue.ts', ['--seconds', 'abc'], /--seconds 'abc': expected a number from 0.1 to 3600$/],
  ['venue', 'bench/venue.ts', ['--speed=-1'], /--speed '-1': expected a number from 0.0001 to 1000000/],
  ['venue', 'bench/venue.ts', ['--speed', '0x10'], /--speed '0x10': expected a number from 0.0001 to 1000000/],
  [
    'venue',
    'bench/venue.ts',
    ['--no-handoff=1'],
    /Option '--no-handoff' does not take an argument \(flags: .* --js-only --native-only --no-handoff --no-js-spin\)$/,
  ],
  [
    'venue',
    'bench/venue.ts',
    ['--js-only', '--native-only'],
    /--js-only and --native-only leave nothing to measure together \(give one of them\)$/,
  ],
  ['live', 'bench/live.ts', ['--speeds', '600,1e3'], /--speeds '600,1e3': expected numbers/],
  ['live', 'bench/live.ts', ['--speeds', '600,x'], /--speeds '600,x': expected numbers from 0.01 to 1000000, separated by commas$/],
  ['live', 'bench/live.ts', ['stray'], /Unexpected argument 'stray'/],
  ['colo', 'bench/colo.ts', ['--feed-messages', 'abc'], /--feed-messages 'abc': expected a whole number from 1 to 100,000,000$/],
  ['colo', 'bench/colo.ts', ['--bogus'], /Unknown option '--bogus' \(flags: --messages 20000000 /],
  ['redis', 'bench/redis.ts', ['--records', '10000'], /--naive '20000': expected a whole number from 1 to 10,000$/],
  ['redis', 'bench/redis.ts', ['--records', 'abc'], /--records 'abc'/],
  ['tiers-hot', 'bench/tiers-hot.ts', ['--flush-records', '0'], /--flush-records '0': expected a whole number from 1 to 20,000,000$/],
  ['tiers-cold', 'bench/tiers-cold.ts', ['--runs', '101'], /--runs '101': expected a whole number from 1 to 100$/],
  ['metrics', 'bench/metrics.ts', ['--bogus'], /Unknown option '--bogus' \(flags: --pairs 2 --seconds 20 --no-live\)$/],
  ['metrics', 'bench/metrics.ts', ['--seconds', '0.5'], /--seconds '0.5': expected a number from 1 to 3600$/],
  ['report', 'bench/report.ts', ['--runs', '0'], /--runs '0': expected a whole number from 1 to 1,000$/],
  [
    'report',
    'bench/report.ts',
    ['--run', '/nonexistent'],
    /--run '\/nonexistent': expected a backtest's output folder \(with summary\.json\), or no --run to make one$/,
  ],
  ['tiers', 'bench/tiers.ts', ['--days', '1.5'], /--days '1.5': expected a whole number from 1 to 2,520$/],
  [
    'tiers',
    'bench/tiers.ts',
    ['--bogus'],
    /Unknown option '--bogus' \(flags: --records 500000 --flush-records 200000 --symbols 40 --days 20 --runs 3\)$/,
  ],
  ['lake', 'bench/lake.ts', ['--queries', '1.5'], /--queries '1.5': expected a whole number from 1 to 100,000$/],
  ['lake', 'bench/lake.ts', ['--data', '/nonexistent'], /--data '\/nonexistent': .*manifest/],
  ['lake-ingest', 'bench/lake-ingest.ts', ['--rows', '5_000_001'], /--rows '5_000_001': expected a whole number from 1 to 5,000,000$/],
  ['kafka', 'bench/kafka.ts', ['--records', 'abc'], /--records 'abc': expected a whole number from 1 to 5,000,000$/],
  ['kafka', 'bench/kafka.ts', ['--partitions', '-3'], /Option '--partitions' argument is ambiguous/],
  ['kafka', 'bench/kafka.ts', ['--only', 'adapter,bogus'], /--only: 'bogus' is not one of adapter, columns, adapter2, ops, kcat, split$/],
];

/** bench:kafka's writer process takes TOPIC RECORDS BATCH PARTITIONS SYMBOLS, no flags. */
const writerCases: string[][] = [
  [],
  ['t', '10', '10', '6', '5', 'extra'],
  ['../t', '10', '10', '6', '5'],
  ['t', '10', '10', '1.5', '5'],
  ['t', '1e3', '10', '6', '5'],
];

const results = new Map<string, Ran>();
const key = (script: string, args: readonly string[]): string => `${script} ${JSON.stringify(args)}`;
beforeAll(async () => {
  const all = [
    ...cases.map(([, script, args]) => [script, args] as const),
    ...writerCases.map((args) => ['bench/kafka-edge-writer.ts', args] as const),
  ];
  const ran = await Promise.all(all.map(([script, args]) => run(script, args)));
  all.forEach(([script, args], i) => results.set(key(script, args), ran[i]!));
}, 180_000);

const oneLine = (r: Ran, prefix: string, text: RegExp): void => {
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(prefix)).toBe(true);
  expect(lines[0]).toMatch(text);
  expect(r.status).toBe(2);
};

describe('npm run bench… scripts on flags they do not take', () => {
  it.each(cases)('bench:%s: %s %j', (name, script, args, text) => {
    oneLine(results.get(key(script, args))!, `alpha bench:${name}: `, text);
  });
});

describe('bench/kafka-edge-writer.ts on bad arguments', () => {
  it.each(writerCases.map((args) => [args]))('%j', (args) => {
    oneLine(results.get(key('bench/kafka-edge-writer.ts', args))!, 'alpha bench kafka-edge-writer: ', /arguments '.*': expected TOPIC/);
  });
});
