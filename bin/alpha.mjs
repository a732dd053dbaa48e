#!/usr/bin/env node
// The `alpha` command. Runs the TypeScript sources through tsx's loader, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('../pipelines/cli/main.ts');
