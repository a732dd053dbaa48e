// A worker of `alpha sweep` (see pool.ts), as a child process or a worker thread: loads worker.ts from
// the CLI's bundle, or through tsx when there is none (bin/cli-bundle.mjs, as bin/alpha.mjs does),
// then serves runs until its parent lets it go.
import { bundledEntry } from '../../bin/cli-bundle.mjs';

const bundle = process.env['ALPHA_TSX'] === '1' ? undefined : await bundledEntry('sweep-worker');
const loaded = bundle ? await import(bundle).catch(() => undefined) : undefined;
const { serve } = loaded ?? (await viaTsx());
serve();

async function viaTsx() {
  const [{ register: registerHooks }, { register }] = await Promise.all([import('node:module'), import('tsx/esm/api')]);
  register();
  registerHooks('../../bin/require-builds.mjs', import.meta.url);
  return import('./worker.ts');
}
