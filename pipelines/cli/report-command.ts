/** `alpha report RUN_DIR`: the tear sheet of a run folder (pipelines/report/write-report.ts writes it). */
import type { Command } from 'commander';

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Write the HTML tear sheet of a run folder (one self-contained file, charts inlined) into that folder.')
    .argument('<dir>', 'a run folder written by alpha backtest (summary.json, equity.parquet, fills.parquet, orders.parquet)')
    .option('--out <name>', 'file name of the report inside the run folder', 'report.html')
    .option(
      '--data <dir>',
      "the dataset the run replayed (refused when its data_sha256 is not the run's): sectors, participation, the prediction IC",
    )
    .action(async (runDir: string, opts: { out: string; data?: string }) => {
      const { writeReport } = await import('../report/write-report.ts');
      const r = await writeReport({ runDir, out: opts.out, ...(opts.data !== undefined ? { data: opts.data } : {}) });
      for (const warning of r.warnings) process.stderr.write(`alpha: warning: ${warning}\n`);
      for (const note of r.notes) process.stderr.write(`alpha: note: ${note}\n`);
      const missing = Object.values(r.sheet.missing);
      process.stdout.write(
        `wrote ${r.path} (${(r.bytes / 1024).toFixed(0)} KiB): sharpe ${r.sheet.metrics['sharpe']!.toFixed(2)} over ${r.sheet.days.length} days, ` +
          `${r.sheet.fills.count} fills\n${missing.map((m) => `  not in this run: ${m}\n`).join('')}`,
      );
    });
}
