/**
 * `npm run check:examples`: type-checks every `@example` in the JSDoc of lib/, operators/, pipelines/
 * and native/, so an example cannot drift from the code it shows. Each example becomes a module of
 * its own beside its source file (held in memory, never written to the tree): the source module's
 * exports are imported into it, its own imports resolve from the source's folder, and it is checked
 * with the compiler options of tsconfig.json (less `noUnusedLocals`/`noUnusedParameters`: an example
 * may name a value only to show it). Problems are reported as `FILE:LINE: message`, LINE being the
 * line of the comment that is wrong.
 *
 * What an example may contain: statements (top-level `await` included), `import` lines for anything
 * beyond the module's own exports, and `declare const x: T;` for the inputs it takes as given. A
 * fenced block whose language is not ts/typescript (```sh) is not checked.
 *
 * The same check applies to the TypeScript blocks of README.md, CONTRIBUTING.md and docs/*.md that
 * name the file they would be (```ts operators/feature/range.ts), as whole modules in that folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export interface Example {
  /** Source file, relative to the root. */
  file: string;
  /** 1-based line of the `@example` tag. */
  line: number;
  code: string;
  /** 1-based source line of each line of `code`. */
  lines: number[];
}

export interface ExampleProblem {
  file: string;
  line: number;
  message: string;
}

/**
 * A snippet of a page (CONTRIBUTING.md's operator, say) checked as a whole module that lives at `at`
 * (relative to the root): nothing is imported for it. `file`/`line` say where its first line is.
 */
export interface Snippet {
  file: string;
  line: number;
  code: string;
  at: string;
}

export interface CheckOptions {
  /** Further snippets to check beside the examples. */
  snippets?: readonly Snippet[];
  /** Repository root; default: this script's parent folder. */
  root?: string;
  /** Folders (relative to root) whose .ts files are searched; default: lib, operators, pipelines, native. */
  dirs?: readonly string[];
  /** The tsconfig.json whose compiler options apply; default: ROOT/tsconfig.json. */
  tsconfig?: string;
}

export const EXAMPLE_DIRS = ['lib', 'operators', 'pipelines', 'native'] as const;

const TAG = /^@([A-Za-z]+)\b\s?(.*)$/;
const FENCE = /^\s*```\s*([\w-]*)\s*$/;
const CHECKED_LANGUAGES = new Set(['', 'ts', 'typescript']);

/** The JSDoc comments (`/** … *\/`) of a file, with the 1-based line each starts on. */
function jsDocComments(source: ts.SourceFile): { text: string; line: number }[] {
  const seen = new Set<number>();
  const out: { text: string; line: number }[] = [];
  const text = source.text;
  const visit = (node: ts.Node): void => {
    for (const range of ts.getLeadingCommentRanges(text, node.pos) ?? []) {
      if (seen.has(range.pos) || range.kind !== ts.SyntaxKind.MultiLineCommentTrivia) continue;
      seen.add(range.pos);
      const comment = text.slice(range.pos, range.end);
      if (comment.startsWith('/**') && !comment.startsWith('/**/')) {
        out.push({ text: comment, line: source.getLineAndCharacterOfPosition(range.pos).line + 1 });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out.sort((a, b) => a.line - b.line);
}

/** Every `@example` block of the JSDoc comments in `text` (a TypeScript file at `file`). */
export function extractExamples(file: string, text: string): Example[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const examples: Example[] = [];
  for (const comment of jsDocComments(source)) {
    const lines = comment.text
      .replace(/^\/\*\*/, '')
      .replace(/\*\/$/, '')
      .split('\n')
      .map((l) => l.replace(/^\s*\*(?: |$)/, ''));
    let current: (Example & { language: string }) | undefined;
    const finish = (): void => {
      if (!current) return;
      const code = current.code.split('\n');
      while (code.length && code[code.length - 1]!.trim() === '') {
        code.pop();
        current.lines.pop();
      }
      if (code.length && CHECKED_LANGUAGES.has(current.language)) {
        examples.push({ file: current.file, line: current.line, code: code.join('\n'), lines: current.lines.slice(0, code.length) });
      }
      current = undefined;
    };
    const push = (line: string, at: number): void => {
      if (!current) return;
      const fence = FENCE.exec(line);
      if (fence) {
        if (fence[1]) current.language = fence[1].toLowerCase();
        return;
      }
      if (current.lines.length === 0 && line.trim() === '') return;
      current.code += (current.lines.length ? '\n' : '') + line;
      current.lines.push(at);
    };
    lines.forEach((line, i) => {
      const at = comment.line + i;
      const tag = TAG.exec(line.trim());
      if (tag) {
        finish();
        if (tag[1] !== 'example') return;
        current = { file, line: at, code: '', lines: [], language: '' };
        const rest = tag[2]!.replace(/^<caption>.*?<\/caption>\s*/, '');
        if (rest.trim()) push(rest, at);
        return;
      }
      push(line, at);
    });
    finish();
  }
  return examples;
}

/**
 * The TypeScript blocks of a Markdown page that say where they would live: a fence opened as
 * ```ts operators/feature/range.ts is checked as a module in that folder; other blocks are not.
 */
export function markdownSnippets(file: string, text: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(?:ts|typescript)\s+(\S+\.ts)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const code: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++)
      code.push(lines[j]!.slice(Math.min(indent, /^\s*/.exec(lines[j]!)![0].length)));
    const at = open[2]!;
    out.push({ file, line: i + 2, code: code.join('\n'), at: join(dirname(at), `__snippet_${i + 2}_${basename(at)}`) });
    i = j;
  }
  return out;
}

/** The pages whose located TypeScript blocks `npm run check:examples` checks. */
export function docPages(root: string): string[] {
  return [
    'README.md',
    'CONTRIBUTING.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'target' ? [] : tsFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Names an example declares or imports at its top level (they shadow the module's exports). */
function declaredNames(code: string): Set<string> {
  const source = ts.createSourceFile('example.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const e of name.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  for (const s of source.statements) {
    if (ts.isVariableStatement(s)) s.declarationList.declarations.forEach((d) => bind(d.name));
    else if (
      (ts.isFunctionDeclaration(s) ||
        ts.isClassDeclaration(s) ||
        ts.isInterfaceDeclaration(s) ||
        ts.isTypeAliasDeclaration(s) ||
        ts.isEnumDeclaration(s)) &&
      s.name
    )
      names.add(s.name.text);
    else if (ts.isImportEqualsDeclaration(s)) names.add(s.name.text);
    else if (ts.isImportDeclaration(s) && s.importClause) {
      const c = s.importClause;
      if (c.name) names.add(c.name.text);
      if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) names.add(c.namedBindings.name.text);
      else if (c.namedBindings) c.namedBindings.elements.forEach((e) => names.add(e.name.text));
    }
  }
  return names;
}

/** The named exports of a module, each marked as a value or a type only. */
function moduleExports(checker: ts.TypeChecker, source: ts.SourceFile): { name: string; typeOnly: boolean }[] {
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) return [];
  return checker
    .getExportsOfModule(moduleSymbol)
    .filter((s) => s.name !== 'default')
    .map((s) => {
      const typeOnlyExport = (s.declarations ?? []).some((d) => ts.isTypeOnlyImportOrExportDeclaration(d));
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return { name: s.name, typeOnly: typeOnlyExport || (target.flags & ts.SymbolFlags.Value) === 0 };
    });
}

function compilerOptions(tsconfig: string): ts.CompilerOptions {
  const read = ts.readConfigFile(tsconfig, (p) => ts.sys.readFile(p));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(tsconfig), undefined, tsconfig);
  return { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
}

/** Finds every example under `dirs` and type-checks it; returns how many there were and what is wrong. */
export function checkExamples(options: CheckOptions = {}): { examples: Example[]; problems: ExampleProblem[] } {
  const root = resolve(options.root ?? fileURLToPath(new URL('..', import.meta.url)));
  const compiler = compilerOptions(options.tsconfig ?? join(root, 'tsconfig.json'));
  const sources = (options.dirs ?? EXAMPLE_DIRS).flatMap((d) => tsFiles(join(root, d)));
  const examples = sources.flatMap((path) => extractExamples(relative(root, path), readFileSync(path, 'utf8')));
  const snippets = options.snippets ?? [];
  if (examples.length === 0 && snippets.length === 0) return { examples, problems: [] };

  // Pass 1: the source modules, for their export lists.
  const withExamples = [...new Set(examples.map((e) => join(root, e.file)))];
  const first = ts.createProgram(withExamples, compiler);
  const checker = first.getTypeChecker();
  const exportsOf = new Map(
    withExamples.map((path) => [path, first.getSourceFile(path) ? moduleExports(checker, first.getSourceFile(path)!) : []]),
  );

  // Pass 2: one virtual module per example, beside its source (line 1 imports the module's exports).
  const virtual = new Map<string, { example: Example; text: string }>();
  examples.forEach((example, i) => {
    const source = join(root, example.file);
    const own = declaredNames(example.code);
    const names = exportsOf
      .get(source)!
      .filter((e) => !own.has(e.name))
      .map((e) => (e.typeOnly ? `type ${e.name}` : e.name));
    const header = names.length ? `import { ${names.join(', ')} } from './${basename(source)}';` : '';
    virtual.set(join(dirname(source), `__example_${i}_${basename(source)}`), { example, text: `${header}\n${example.code}\nexport {};\n` });
  });
  for (const snippet of snippets) {
    const lines = snippet.code.split('\n').map((_, i) => snippet.line + i);
    // Line 1 stays empty, as for the examples, so that line k of the code is line k + 1 of the module.
    virtual.set(join(root, snippet.at), {
      example: { file: snippet.file, line: snippet.line, code: snippet.code, lines },
      text: `\n${snippet.code}\nexport {};\n`,
    });
  }
  const host = ts.createCompilerHost(compiler);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => virtual.has(resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(resolve(f))?.text ?? readFile.call(host, f);
  host.getSourceFile = (f, language, onError, create) => {
    const v = virtual.get(resolve(f));
    return v ? ts.createSourceFile(f, v.text, language) : getSourceFile.call(host, f, language, onError, create);
  };
  const program = ts.createProgram([...virtual.keys()], compiler, host, first);

  const problems: ExampleProblem[] = [];
  for (const [path, { example }] of virtual) {
    const sf = program.getSourceFile(path);
    if (!sf) {
      problems.push({ file: example.file, line: example.line, message: 'the example could not be compiled' });
      continue;
    }
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const at = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
      problems.push({
        file: example.file,
        line: at === 0 ? example.line : (example.lines[at - 1] ?? example.line),
        message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      });
    }
  }
  return { examples, problems: problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line) };
}

export const formatProblem = (p: ExampleProblem): string => `${p.file}:${p.line}: ${p.message}`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const snippets = docPages(root).flatMap((page) => markdownSnippets(page, readFileSync(join(root, page), 'utf8')));
  const { examples, problems } = checkExamples({ snippets });
  if (problems.length) {
    process.stderr.write(`${problems.map(formatProblem).join('\n')}\n${problems.length} problem(s) in the @example blocks\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(
      `${examples.length} @example blocks in ${new Set(examples.map((e) => e.file)).size} files and ${snippets.length} blocks of the docs type-check\n`,
    );
  }
}
