#!/usr/bin/env node
// The `alpha` command: the TypeScript sources as one bundle, rebuilt whenever they change
// (cli-bundle.mjs), or through tsx's loader when the bundle cannot be built or ALPHA_TSX=1.
import { importEntry } from './cli-bundle.mjs';

await importEntry('main', new URL('../pipelines/cli/main.ts', import.meta.url).href);
