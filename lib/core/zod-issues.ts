/**
 * The one way a zod validation problem of a file becomes a message: `FILE: PATH is VALUE: what would
 * be accepted`, or `FILE: PATH is missing: …`, or `FILE: PATH is not a field here`. A custom issue
 * whose params carry `phrase: true` reads as a phrase after the path (`FILE: PATH must …`).
 */
import type { z } from 'zod';
import { shortJson } from './short-json.ts';

/** `a.b[2].c` for a path; `(the file)` for the root. */
export function pathLabel(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') || '(the file)';
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** A value as short JSON for a message (cut at 60 characters). */
export function showValue(value: unknown): string {
  // JSON would print NaN and ±Infinity (YAML's .nan, .inf) as null.
  if (typeof value === 'number') return String(value);
  const s = shortJson(value, 61);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

export interface IssueOptions {
  /** Path of the validated value inside the file (its issues' paths are relative to it). */
  base?: readonly PropertyKey[];
  /**
   * For a union that failed in every branch: which branch's issues to report, given the value it was
   * meant for (undefined: report the union as one issue).
   */
  pickBranch?: (path: readonly PropertyKey[], value: unknown, branches: number) => number | undefined;
}

export function describeIssues(file: string, input: unknown, issues: readonly z.core.$ZodIssue[], options: IssueOptions = {}): string[] {
  const base = options.base ?? [];
  return issues.flatMap((issue): string[] => {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && options.pickBranch) {
      const branch = options.pickBranch(path, valueAt(input, path), issue.errors.length);
      const chosen = branch === undefined ? undefined : issue.errors[branch];
      if (chosen) return describeIssues(file, input, chosen, { ...options, base: path });
    }
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${file}: ${pathLabel([...path, k])} is not a field here`);
    if (issue.code === 'custom' && (issue.params as { phrase?: boolean } | undefined)?.phrase)
      return [`${file}: ${pathLabel(path)} ${issue.message}`];
    const value = valueAt(input, path);
    return [
      value === undefined
        ? `${file}: ${pathLabel(path)} is missing: ${issue.message}`
        : `${file}: ${pathLabel(path)} is ${showValue(value)}: ${issue.message}`,
    ];
  });
}
