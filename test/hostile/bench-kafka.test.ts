/**
 * bench:kafka's flags, and bench/kafka-edge-writer.ts (the writing process of its two-process edge):
 * what is not accepted gets one `alpha bench…` line and exit 2, before anything connects to a
 * service or starts one. The cases run side by side (each is a process start), then are checked one by one.
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
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });

const writerCases: string[][] = [
  [],
  ['t', '10', '10', '6'],
  ['t', '10', '10', '6', '5', 'extra'],
  ['../t', '10', '10', '6', '5'],
  ['t', '-1', '10', '6', '5'],
  ['t', '10', '0', '6', '5'],
  ['t', '10', '10', '1.5', '5'],
  ['t', '10', '10', '6', 'x'],
];
const benchCases: [string[], RegExp][] = [
  [['--records', 'abc'], /--records 'abc': expected a whole number from 1 to 50,000,000/],
  [['--records', '0'], /--records '0'/],
  [['--partitions', '-3'], /Option '--partitions' argument is ambiguous/],
  [['--partitions=-3'], /--partitions '-3': expected a whole number/],
  [['--batch', '1e3'], /--batch '1e3'/],
  [['--rounds', '101'], /--rounds '101': expected a whole number from 1 to 100/],
  [['--only', 'adapter,bogus'], /--only: 'bogus' is not one of adapter, adapter2, ops, kcat, split/],
  [['--bogus'], /Unknown option '--bogus'.*\(flags: --records/],
];

const results = new Map<string, Ran>();
beforeAll(async () => {
  const all = [
    ...writerCases.map((args) => ['bench/kafka-edge-writer.ts', args] as const),
    ...benchCases.map(([args]) => ['bench/kafka.ts', args] as const),
  ];
  const ran = await Promise.all(all.map(([script, args]) => run(script, args)));
  all.forEach(([script, args], i) => results.set(`${script} ${JSON.stringify(args)}`, ran[i]!));
}, 120_000);

const oneLine = (r: Ran, prefix: RegExp, text: RegExp): void => {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(prefix);
  expect(lines[0]).toMatch(text);
};

describe('bench/kafka-edge-writer.ts on bad arguments', () => {
  it.each(writerCases.map((args) => [args]))('%j', (args) => {
    oneLine(
      results.get(`bench/kafka-edge-writer.ts ${JSON.stringify(args)}`)!,
      /^alpha bench kafka-edge-writer: /,
      /arguments '.*': expected TOPIC/,
    );
  });
});

describe('bench/kafka.ts on bad flags', () => {
  it.each(benchCases)('%j', (args, text) => {
    oneLine(results.get(`bench/kafka.ts ${JSON.stringify(args)}`)!, /^alpha bench:kafka: /, text);
  });
});
