/**
 * The `alpha` program: every command and its options (main.ts runs it). Each action imports what it
 * runs when it runs, so `alpha --help` or a backtest does not load the Kafka client, the generator, …
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { GENERATE_DEFAULTS, MAX_DEPTH, TRADE_PRICE_RULES, type TradePriceRule } from '../data/generate-options.ts';
import { registerColdCommands } from './cold-command.ts';
import { registerFlushCommand } from './flush-command.ts';
import { registerIngestCommand } from './ingest-command.ts';
import { registerItchCommand } from './itch-command.ts';
import { registerLakeCommands } from './lake-command.ts';
import { registerModelCommand } from './model-command.ts';
import { registerReportCommand } from './report-command.ts';
import { registerRiskCommand } from './risk-command.ts';
import { registerKillCommand, registerLiveCommand } from './live-command.ts';
import { registerRunCommand } from './run.ts';
import { registerSweepCommand } from './sweep-command.ts';
import { registerTapCommand } from './tap-command.ts';
import { registerVenueCommand } from './venue-command.ts';
import { collect, replayOptions, type ReplayOptions } from './replay-options.ts';
import { decimal } from './flag-values.ts';
import { lakeFolder } from './lake-options.ts';
import { sessionDate } from '../itch/exchange-time.ts';
import { printable } from '../../lib/core/printable.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const number = (name: string) => (value: string) => decimal(name, value);

export async function buildProgram(): Promise<Command> {
  const program = new Command('alpha')
    .description('Alpha Factory: a typed operator graph for the dataflow of a quantitative fund.')
    .version(pkg.version, '-V, --version')
    .option('--debug', 'print the stack trace of an error')
    // A malformed command line is one `alpha:` line like every other refusal (commander's own
    // `error: …` came with the whole usage after it); subcommands inherit this.
    .configureOutput({
      outputError: (text, write) =>
        write(
          printable(
            text.startsWith('error: ') ? `alpha: ${text.slice('error: '.length).trimEnd()} (--help lists what is accepted)\n` : text,
          ),
        ),
    });

  program
    .command('validate')
    .description('Check a topology; print every problem as FILE:LINE:COL node "NAME": what — what would be accepted.')
    .argument('<file>', 'topology.yaml')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--set <NODE.PARAM=VALUE>', 'override one param (repeatable)', collect, [])
    .action(async (file: string, opts: { format: string; set: string[] }) => {
      const [{ registry }, { loadTopology }, { validateTopology }, { formatProblem }] = await Promise.all([
        import('../../operators/index.ts'),
        import('../topology/load.ts'),
        import('../topology/validate.ts'),
        import('../topology/problems.ts'),
      ]);
      const loaded = loadTopology(file, opts.set);
      const { topology, problems } = validateTopology(loaded, registry);
      // A file with a live: section holds two graphs: the live one is checked too.
      if (!loaded.syntaxErrors && loaded.hasLive) {
        const seen = new Set(problems.map((p) => JSON.stringify(p)));
        for (const p of validateTopology(loadTopology(file, opts.set, undefined, 'live'), registry).problems)
          if (!seen.has(JSON.stringify(p))) problems.push({ ...p, message: `live graph: ${p.message}` });
      }
      if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify({ file, valid: problems.length === 0, problems }, null, 2)}\n`);
      } else if (topology && problems.length === 0) {
        process.stdout.write(`${file}: valid (${topology.nodes.length} nodes${loaded.hasLive ? ', and its live graph' : ''})\n`);
      } else {
        process.stderr.write(`${problems.map(formatProblem).join('\n')}\n${problems.length} problem(s) in ${file}\n`);
      }
      process.exitCode = problems.length === 0 ? 0 : 1;
    });

  program
    .command('graph')
    .description('Print the graph of a topology as a Mermaid flowchart.')
    .argument('<file>', 'topology.yaml')
    .option('--set <NODE.PARAM=VALUE>', 'override one param (repeatable)', collect, [])
    .action(async (file: string, opts: { set: string[] }) => {
      const [{ resolveTopology }, { mermaid }] = await Promise.all([import('../runtime/backtest.ts'), import('../topology/reference.ts')]);
      const topology = resolveTopology(file, opts.set);
      process.stdout.write(mermaid(topology));
    });

  program
    .command('ops')
    .description('List every operator type with its inputs, output and params.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .action(async (opts: { format: string }) => {
      const [{ operators }, { opsJson, opsMarkdown, opsText }] = await Promise.all([
        import('../../operators/index.ts'),
        import('../topology/reference.ts'),
      ]);
      const out =
        opts.format === 'json'
          ? JSON.stringify(opsJson(operators), null, 2)
          : opts.format === 'markdown'
            ? opsMarkdown(operators)
            : opsText(operators);
      process.stdout.write(`${out}\n`);
    });

  program
    .command('schema')
    .description('Print the JSON Schema of topology.yaml, generated from the operator registry.')
    .action(async () => {
      const [{ operators }, { topologyJsonSchema }] = await Promise.all([
        import('../../operators/index.ts'),
        import('../topology/reference.ts'),
      ]);
      process.stdout.write(`${JSON.stringify(topologyJsonSchema(operators), null, 2)}\n`);
    });

  const data = program.command('data').description('Datasets.');
  data
    .command('generate')
    .description(
      'Write a synthetic market (quotes and trades as Parquet, plus manifest.json; with --depth, the book beyond the top) with a planted alpha.',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--symbols <n>', 'number of symbols', number('--symbols'), GENERATE_DEFAULTS.symbols)
    .option('--days <n>', 'number of trading days', number('--days'), GENERATE_DEFAULTS.days)
    // A day before 1970 made a dataset (exit 0) that every reader refused ("sessions[0].open … Too small").
    .option('--start <date>', 'first trading day (YYYY-MM-DD)', (v: string) => sessionDate('--start', v), GENERATE_DEFAULTS.start)
    .option('--seed <n>', 'random seed (changes the noise, not the planted alpha)', number('--seed'), GENERATE_DEFAULTS.seed)
    .option('--alpha <x>', 'strength of the planted alpha instead of --ic (0 = pure noise, 1 = an IC of 0.132)', number('--alpha'))
    .option(
      '--ic <x>',
      "the planted alpha's information coefficient: mean Spearman correlation of the signal with the next 15 minutes' returns " +
        `(docs/data.md; default ${GENERATE_DEFAULTS.ic} unless --alpha is given)`,
      number('--ic'),
    )
    .option(
      '--trade-prices <rule>',
      `where trades print: ${TRADE_PRICE_RULES[0]} (the touch of the quote in force at the trade; default) or ` +
        `${TRADE_PRICE_RULES[1]} (the touch of the last quote of its minute, the older flattering rule)`,
    )
    .option(
      '--depth <n>',
      `levels of the book in all, the top included: 2 to ${MAX_DEPTH} also writes a "depth" dataset (BookDepth) of levels 2…N beside each quote; ` +
        '0 (default) none',
      number('--depth'),
    )
    .option('--overwrite', 'replace an existing non-empty --out whole (default: refuse it)')
    .option(
      '--lake <dir>',
      'also append the quotes and trades to the Delta tables of this lake (created when missing; needs npm run setup:lake)',
      lakeFolder,
    )
    .action(
      async (opts: {
        out: string;
        symbols: number;
        days: number;
        start: string;
        seed: number;
        alpha?: number;
        ic?: number;
        tradePrices?: TradePriceRule;
        depth?: number;
        overwrite?: boolean;
        lake?: string;
      }) => {
        const started = Date.now();
        const [{ generateDataset }, { wroteLine }] = await Promise.all([import('../data/generate.ts'), import('./report.ts')]);
        if (opts.lake !== undefined) (await import('../data/sample-to-lake.ts')).checkLake(opts.lake, opts.out);
        const manifest = await generateDataset(opts);
        const q = manifest.datasets['quotes']!;
        const t = manifest.datasets['trades']!;
        const d = manifest.datasets['depth'];
        process.stderr.write(
          `generated ${manifest.symbols} symbols × ${manifest.dates.length} days, ` +
            `${q.rows} quotes, ${t.rows} trades (${t.corrections} corrections)${d ? `, ${d.rows} depth levels` : ''} in ${((Date.now() - started) / 1000).toFixed(1)}s\n` +
            `${wroteLine(opts.out)}\n`,
        );
        if (opts.lake !== undefined) {
          const { sampleToLake } = await import('../data/sample-to-lake.ts');
          for (const r of await sampleToLake(opts.out, manifest, opts.lake))
            process.stderr.write(
              `lake ${opts.lake}: "${r.dataset}" ${r.created ? 'created, ' : ''}${r.added} rows appended (${r.skipped} already there), version ${r.version}\n`,
            );
        }
      },
    );
  registerLakeCommands(data);
  registerColdCommands(data);
  registerIngestCommand(data);
  registerFlushCommand(data);

  replayOptions(
    program
      .command('backtest')
      .description('Run a topology as a backtest over a dataset and write summary.json, fills.parquet, … to --out.')
      .argument('<file>', 'topology.yaml'),
    'out/backtest',
  )
    .option('--split', 'run each process group (topology "groups:") in its own OS process, joined through Kafka')
    .option(
      '--capture <file>',
      'replay the capture of a live run (alpha live: OUT/capture.alog) through the live graph, its executions in place of the venue, instead of a dataset',
    )
    .option('--generate-if-missing', 'generate the dataset with default options when the data folder does not exist')
    .option('--overwrite', 'replace an existing non-empty --out whole (default: refuse it)')
    .action(
      async (
        file: string,
        opts: ReplayOptions & { split?: boolean; generateIfMissing?: boolean; overwrite?: boolean; capture?: string },
      ) => {
        if (opts.capture !== undefined) {
          if (opts.split || opts.data || opts.from || opts.to)
            throw new AlphaError('--capture replays a live run: it takes no --split, --data, --from or --to');
          const [{ replayCaptureRun }, { printSummary }] = await Promise.all([import('../runtime/live.ts'), import('./report.ts')]);
          const summary = await replayCaptureRun({
            topologyFile: file,
            sets: opts.set,
            capture: opts.capture,
            outDir: opts.out,
            overwrite: opts.overwrite ?? false,
            log: { info: () => {}, warn: (m) => process.stderr.write(`${m}\n`) },
          });
          printSummary(summary, opts.out);
          return;
        }
        const [{ resolveTopology, runBacktest }, { printSummary, progressPrinter }] = await Promise.all([
          import('../runtime/backtest.ts'),
          import('./report.ts'),
        ]);
        const topology = resolveTopology(file, opts.set);
        const dataDir = opts.data ?? topology.data;
        if (opts.generateIfMissing && dataDir && !existsSync(`${dataDir}/manifest.json`)) {
          // The sample goes where the data was expected: messages name that flag (or the topology's data:), not --out.
          const dataFlag = opts.data !== undefined ? '--data' : `${file} data:`;
          refuseFilledDataFolder(dataFlag, dataDir);
          process.stderr.write(`no dataset at ${dataDir}: generating the default sample…\n`);
          const { generateDataset } = await import('../data/generate.ts');
          await generateDataset({ out: dataDir, outFlag: dataFlag, holder: 'alpha backtest --generate-if-missing' });
        }
        const common = {
          topologyFile: file,
          sets: opts.set,
          outDir: opts.out,
          overwrite: opts.overwrite ?? false,
          ...(dataDir ? { dataDir } : {}),
          lakeDir: opts.lake,
          ...(opts.from ? { from: opts.from } : {}),
          ...(opts.to ? { to: opts.to } : {}),
        };
        if (opts.split) {
          const { runSplit } = await import('../runtime/group/split.ts');
          const summary = await runSplit({
            ...common,
            topology,
            ...(opts.quiet ? {} : { onLine: (group: string, line: string) => process.stderr.write(`[${group}] ${line}\n`) }),
          });
          printSummary(summary, opts.out);
          process.stderr.write(`  split into ${Object.keys(summary.groups).join(', ')} (run ${summary.run_id})\n`);
          return;
        }
        const summary = await runBacktest({
          ...common,
          topology,
          holder: 'alpha backtest',
          ...(opts.quiet ? {} : { onProgress: progressPrinter() }),
        });
        printSummary(summary, opts.out);
      },
    );

  registerRiskCommand(program);
  registerItchCommand(program);
  registerVenueCommand(program);
  registerModelCommand(program);
  registerTapCommand(program);
  registerRunCommand(program);
  registerLiveCommand(program);
  registerKillCommand(program);
  registerReportCommand(program);
  registerSweepCommand(program);
  // `alpha data query --version N` is the table's version: the program's own -V/--version and --debug
  // are read only before the command (positional options), and --debug is accepted after it too.
  program.enablePositionalOptions();
  const acceptDebug = (command: Command): void => {
    for (const sub of command.commands) {
      if (!sub.options.some((o) => o.long === '--debug')) sub.addOption(new Option('--debug').hideHelp());
      acceptDebug(sub);
    }
  };
  acceptDebug(program);
  refuseRepeats(program);
  return program;
}

/**
 * An option given twice is refused, unless its help says "(repeatable": commander keeps the last value
 * without a word (`itch book --symbols A --symbols B` showed only B; `data lake create q --schema Quote
 * --schema Trade` made a Trade table).
 */
function refuseRepeats(command: Command): void {
  for (const sub of command.commands) {
    const given = new Set<string>();
    for (const option of sub.options) {
      if (/\(repeatable/.test(option.description) || option.long === '--debug') continue;
      const flag = option.long ?? option.short ?? option.name();
      sub.on(`option:${option.name()}`, () => {
        if (given.has(flag)) throw new AlphaError(`${flag} is given twice: give it once`);
        given.add(flag);
      });
    }
    refuseRepeats(sub);
  }
}

/**
 * --generate-if-missing writes the sample only into a new or empty folder: a folder holding other
 * files is not a dataset to replace (--overwrite is the run's --out's, not the data's).
 */
function refuseFilledDataFolder(dataFlag: string, dataDir: string): void {
  const entries = existsSync(dataDir) && statSync(dataDir).isDirectory() ? readdirSync(dataDir).sort() : [];
  if (entries.length === 0) return;
  const shown = `${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''}`;
  throw new AlphaError(
    `${dataFlag} ${dataDir}: has no manifest.json and is not empty (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}: ${shown}), so --generate-if-missing will not write the sample there: expected a dataset folder, or a new or empty folder to generate it into`,
  );
}
