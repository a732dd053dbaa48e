/**
 * Names that end up in file names, topic names and pictures (nodes, groups, topologies, datasets)
 * are identifiers: a letter first, then letters, digits, `_` and `-` (and `.` where the kind allows
 * it, never `..`), at most 64 characters. So a name can never climb out of a folder, reach another
 * topic, or inject markup.
 */
export const NAME_MAX = 64;

const IDENT = /^[A-Za-z][A-Za-z0-9_-]*$/;
const DOTTED = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/** Why `name` is not an identifier (undefined when it is); `dots` allows single dots inside it. */
export function nameProblem(name: string, options: { dots?: boolean } = {}): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > NAME_MAX) return `has ${name.length} characters, more than ${NAME_MAX}`;
  const pattern = options.dots ? DOTTED : IDENT;
  if (!pattern.test(name) || (options.dots && (name.includes('..') || name.endsWith('.')))) {
    // The dot is the one character worth a word: `node.port` names an output port, not a node.
    return !options.dots && name.includes('.') ? 'is not a name (a dot separates a node from its output port)' : 'is not a name';
  }
  return undefined;
}

/** What a name may be, for the hint of a refusal. */
export function nameRule(options: { dots?: boolean } = {}): string {
  return `a letter, then letters, digits, "_", "-"${options.dots ? ' and single "."' : ''}; at most ${NAME_MAX} characters`;
}
