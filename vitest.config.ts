import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests generate datasets and run whole backtests.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
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
