// A worker of `alpha sweep` (see pool.ts), as a child process or a worker thread: loads worker.ts from
// the CLI's bundle, or through tsx when there is none (bin/cli-bundle.mjs, as bin/alpha.mjs does),
// then serves runs until its parent lets it go.
import { importEntry } from '../../bin/cli-bundle.mjs';

const { serve } = await importEntry('sweep-worker', new URL('./worker.ts', import.meta.url).href);
serve();
