#!/usr/bin/env node
// The `alpha` command. Runs the TypeScript sources through tsx's loader, so there is no build step.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('./require-builds.mjs', import.meta.url);
await import('../pipelines/cli/main.ts');
