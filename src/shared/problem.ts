/** A located problem in a project file: what `plantbench validate` prints and the UI lists. */
export interface Problem {
  /** Project-relative file path. */
  readonly file: string;
  /** 1-based; 0 when the problem has no place in the file (e.g. a missing file). */
  readonly line: number;
  readonly col: number;
  /** Field path inside the file, e.g. ["nodes", "scale-1", "config", "rawHigh"]. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** Set when the problem belongs to a pipeline node, so the UI can select it. */
  readonly node?: string;
}

export function formatFieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || '(root)';
}

/** "pipelines/a.yaml:3:5", or the file alone when the problem has no place in it. */
export function problemLocation(p: Pick<Problem, 'file' | 'line' | 'col'>): string {
  return p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
}

/** file:line:col field.path: message */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${formatFieldPath(p.path)}: ${p.message}`;
}
