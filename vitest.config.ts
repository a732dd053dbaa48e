import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests generate datasets and run whole backtests.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    // Two files at a time, as measured on 2 cores (vitest's default there is one; more was never
    // measured): most of the suite's time waits on brokers, venues and wall-clock runs, not the CPU.
    // On this machine, 2026-12-07: 871 s against 1,321 s for one at a time, every test passing.
    maxWorkers: 2,
    // Starts Kafka, the schema registry and Redis when a selected file needs them (test/kafka/, *.kafka.test.ts);
    // installs the lake's venv and DuckDB extension when one needs them (test/lib/io/lake/, *.lake.test.ts).
    // Installs Debian's chromium when a selected file drives a browser (*.browser.test.ts).
    // Last, gives the workers one TMPDIR for the run and removes it afterwards (tmp-setup.ts).
    globalSetup: [
      './test/helpers/services-setup.ts',
      './test/helpers/lake-setup.ts',
      './test/helpers/browser-setup.ts',
      './test/helpers/tmp-setup.ts',
    ],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
