// A worker of `alpha sweep` (see pool.ts), as a child process or a worker thread: loads the TypeScript
// through tsx, as bin/alpha.mjs does, then serves runs (worker.ts) until its parent lets it go.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('../../bin/require-builds.mjs', import.meta.url);
const { serve } = await import('./worker.ts');
serve();
