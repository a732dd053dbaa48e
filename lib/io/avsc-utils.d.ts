/** avsc's binary reader and writer (avsc ships no types for its internals); avro-bounds.ts replaces two of its methods. */
declare module 'avsc/lib/utils.js' {
  const utils: { Tap: { prototype: Record<string, unknown> } };
  export default utils;
}
