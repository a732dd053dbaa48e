#!/usr/bin/env node
// The `alpha` command: the TypeScript sources as one bundle, rebuilt whenever they change
// (cli-bundle.mjs), or through tsx's loader when the bundle cannot be built or ALPHA_TSX=1.
import { bundledEntry } from './cli-bundle.mjs';

const bundle = process.env['ALPHA_TSX'] === '1' ? undefined : await bundledEntry();
let ran = false;
if (bundle) {
  // Stack traces (--debug) name the TypeScript sources' lines.
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
  // main.ts reports every error of a command itself: a rejection here is a bundle that did not load
  // (no command ran), and the sources then run through tsx.
  ran = await import(bundle).then(
    () => true,
    () => false,
  );
}
if (!ran) {
  const [{ register: registerHooks }, { register }] = await Promise.all([import('node:module'), import('tsx/esm/api')]);
  register();
  registerHooks('./require-builds.mjs', import.meta.url);
  await import('../pipelines/cli/main.ts');
}
