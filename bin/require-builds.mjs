// Loader hook for bin/alpha.mjs when it runs the sources through tsx (its bundle has these packages
// inside it): the packages below ship a CommonJS build beside their ES modules, and
// `import … from 'zod'` or 'apache-arrow' resolves to it. Their ~240 files then load through
// require(), without a round trip to the loader thread each (≈ 0.25 s of CPU at every start).
// Same code, same exports: only the CLI resolves this way; tests and benches import the ES builds.
const COMMONJS = new Set(['zod', 'apache-arrow']);

export async function resolve(specifier, context, next) {
  if (!COMMONJS.has(specifier)) return next(specifier, context);
  return next(specifier, { ...context, conditions: ['node', 'require'] });
}
