#!/usr/bin/env node
// The `alpha` command: the TypeScript sources as one bundle, rebuilt whenever they change
// (cli-bundle.mjs), or through tsx's loader when the bundle cannot be built or ALPHA_TSX=1.
import { bundledEntry } from './cli-bundle.mjs';

const bundle = process.env['ALPHA_TSX'] === '1' ? undefined : await bundledEntry();
if (bundle) {
  // Stack traces (--debug) name the TypeScript sources' lines.
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
  await import(bundle);
} else {
  const [{ register: registerHooks }, { register }] = await Promise.all([import('node:module'), import('tsx/esm/api')]);
  register();
  registerHooks('./require-builds.mjs', import.meta.url);
  await import('../pipelines/cli/main.ts');
}
