import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import type { Problem } from '../shared/problem.ts';

/**
 * A YAML file parsed with positions, so any field path can be turned into line:col. `doc` and
 * `lines` are parsed again on first use after a clean parse: kept for every file, they cost a
 * loaded project several times its text (a 1,000-tag device: about 1.5 MB), and only problems need them.
 */
export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  /** The plain JS value (undefined when the YAML did not parse). */
  readonly data: unknown;
  /** Syntax errors, located. */
  readonly syntaxProblems: Problem[];
}

function parseWithPositions(text: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  return { doc: parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true }), lines };
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const { doc, lines } = parseWithPositions(text);
  // Only the first syntax error: the parser's later ones are mostly consequences of it.
  const syntaxProblems: Problem[] = doc.errors.slice(0, 1).map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { file, line: pos.line, col: pos.col, path: [], message: `YAML: ${e.message.split('\n')[0]}` };
  });
  const data = syntaxProblems.length === 0 ? toData(file, doc, lines, syntaxProblems) : undefined;
  let positions = syntaxProblems.length ? { doc, lines } : undefined;
  return {
    file,
    text,
    data,
    syntaxProblems,
    get doc() {
      return (positions ??= parseWithPositions(text)).doc;
    },
    get lines() {
      return (positions ??= parseWithPositions(text)).lines;
    },
  };
}

/**
 * The plain JS value, or undefined with a located problem when it cannot be built: an alias to a
 * node that contains it (a cycle), an alias bomb (toJS refuses excessive alias counts), an alias
 * to an unknown anchor, or nesting too deep for the stack.
 */
function toData(file: string, doc: Document, lines: LineCounter, problems: Problem[]): unknown {
  const fail = (offset: number | undefined, message: string): undefined => {
    const pos = lines.linePos(offset ?? 0);
    problems.push({ file, line: pos.line, col: pos.col, path: [], message: `YAML: ${message}` });
    return undefined;
  };
  let firstAlias: number | undefined;
  try {
    // Aliases refer back, so a cycle always runs through an alias inside its own anchored node.
    const anchors = new Map<string, Node>();
    const found: { recursive?: Alias } = {};
    visit(doc, {
      Node(_key, node, path) {
        if (isAlias(node)) {
          firstAlias ??= node.range?.[0];
          const target = anchors.get(node.source);
          if (target && path.includes(target)) {
            found.recursive = node;
            return visit.BREAK;
          }
        } else if (node.anchor) anchors.set(node.anchor, node);
        return undefined;
      },
    });
    const recursive = found.recursive;
    if (recursive) return fail(recursive.range?.[0], `alias *${recursive.source} refers to a node that contains it (a recursive alias)`);
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // toJS refuses alias bombs and unknown anchors; very deep nesting can exhaust the stack.
    return fail(firstAlias, String((err as Error)?.message ?? err).split('\n')[0]!);
  }
}

/**
 * The position of a field path. For a path that does not exist (a missing field), the deepest
 * existing parent. With `key`, the position of the map key instead of its value.
 */
export function locate(src: YamlSource, path: readonly (string | number)[], key = false): { line: number; col: number } {
  let node: Node | null | undefined = src.doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length && node; i++) {
    const part = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) break;
      const keyNode = pair.key as Node;
      offset = (last && key ? keyNode.range?.[0] : (pair.value as Node | null)?.range?.[0] ?? keyNode.range?.[0]) ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return src.lines.linePos(offset);
}

export function problemAt(src: YamlSource, path: readonly (string | number)[], message: string, key = false): Problem {
  const { line, col } = locate(src, path, key);
  return { file: src.file, line, col, path: [...path], message };
}

/** Zod issues as located problems. Unknown keys point at each key. */
/** A file with more problems than this reports the first ones and a count: nobody reads 20,000 lines. */
export const MAX_PROBLEMS_PER_FILE = 200;

export function zodProblems(src: YamlSource, error: z.ZodError, prefix: readonly (string | number)[] = []): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    if (out.length >= MAX_PROBLEMS_PER_FILE) {
      out.push({ file: src.file, line: 1, col: 1, path: [], message: `${error.issues.length - MAX_PROBLEMS_PER_FILE} more problem(s) not shown; fix these first` });
      break;
    }
    const path = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push(problemAt(src, [...path, k], `unknown field "${k}"`, true));
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0 && !('note' in issue)) {
      // A union where no branch matched: report the branch that got furthest (the fewest issues).
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      for (const inner of best) {
        out.push(problemAt(src, [...path, ...(inner.path as (string | number)[])], inner.message));
      }
    } else {
      out.push(problemAt(src, path, issue.message));
    }
  }
  return out;
}
