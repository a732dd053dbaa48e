/**
 * Loads a compiled Node addon of `native/` once, on first use, so a missing or broken build is an
 * error that says how to build it rather than a module-not-found trace.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AlphaError } from '../lib/core/errors.ts';

/** The compiled addon is missing or cannot load (usually: not built yet). */
export class NativeBindingError extends AlphaError {
  override readonly name = 'NativeBindingError';
}

/**
 * A function that returns the addon at `url`, loading it on the first call.
 *
 * @example
 * const osqp = addonLoader<{ version(): string }>(new URL('./osqp/osqp.node', import.meta.url), 'the OSQP binding', 'needs cargo and cmake');
 * osqp(); // loads, or throws a NativeBindingError naming the file and how to build it
 */
export function addonLoader<TBinding>(url: URL, what: string, needs: string): () => TBinding {
  const path = fileURLToPath(url);
  let loaded: TBinding | undefined;
  return () => {
    if (loaded) return loaded;
    if (!existsSync(path)) {
      throw new NativeBindingError(
        `${what} is not built: ${path} is missing. Build it from the repository root with ` +
          `\`npm run build:native\` (${needs}; \`npm ci\` runs it).`,
      );
    }
    try {
      loaded = createRequire(import.meta.url)(path) as TBinding;
    } catch (cause) {
      throw new NativeBindingError(`${what} at ${path} failed to load (rebuild it with \`npm run build:native\`): ${String(cause)}`, {
        cause,
      });
    }
    return loaded;
  };
}
