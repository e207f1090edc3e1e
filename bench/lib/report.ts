// What every benchmark in bench/ needs to report its figures: medians and percentiles, "median
// [min–max]" cells, plain-text and Markdown tables, a line naming the machine, and a dated section
// appended to bench/RESULTS.md (unless the run was given --no-write).
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** bench/RESULTS.md, where every benchmark appends its dated section. */
export const RESULTS_FILE = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

const RESULTS_HEADER =
  '# Benchmark results\n\nFigures printed by the benchmarks in `bench/`, newest last. They are measurements on the machine named in each\nsection, never assertions in tests.\n';

/** The median; with an even count, the mean of the two middle values. NaN when there are none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function isSorted(xs: ArrayLike<number>): boolean {
  for (let i = 1; i < xs.length; i++) if (!(xs[i - 1]! <= xs[i]!)) return false;
  return true;
}

/**
 * The p-th percentile (p in 0..100), nearest rank below: the value at index ⌊p/100 · n⌋ of the sorted
 * values (the last one for p = 100). Values already sorted ascending (a sorted Float64Array, say) are
 * used as they are; others are sorted in a copy. NaN when there are none.
 */
/** Least-squares slope of y over x (0 when x does not vary): growth per unit of x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den ? num / den : 0;
}

export function percentile(xs: ArrayLike<number>, p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = isSorted(xs) ? xs : Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * "median [min–max]", each figure through `fmt`; a single value prints alone. `brackets: '()'` gives
 * "median (min–max)".
 */
export function range(xs: readonly number[], fmt: (x: number) => string, brackets: '[]' | '()' = '[]'): string {
  if (xs.length === 1) return fmt(xs[0]!);
  return `${fmt(median(xs))} ${brackets[0]}${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}${brackets[1]}`;
}

/** A plain-text table: columns padded to their widest cell, two spaces apart; `rule` adds a dashed line under the header. */
export function textTable(rows: readonly (readonly string[])[], options: { rule?: boolean } = {}): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]): string => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  const rule = options.rule ? [widths.map((w) => '-'.repeat(w)).join('  ')] : [];
  return [line(rows[0]!), ...rule, ...rows.slice(1).map(line)].join('\n');
}

/** A Markdown table; the first row is the header. */
export function markdownTable(rows: readonly (readonly (string | number)[])[]): string {
  const line = (r: readonly (string | number)[]): string => `| ${r.join(' | ')} |`;
  return [line(rows[0]!), line(rows[0]!.map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}

/** CPU model, cores, memory, OS and Node version of this machine, on one line. */
export function machineLine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()} ${arch()}, Node ${process.version}`;
}

/** False when the run was given --no-write: print the figures, leave bench/RESULTS.md alone. */
export function shouldWrite(): boolean {
  return !process.argv.includes('--no-write');
}

/** Appends "## <title> — <YYYY-MM-DD HH:MM:SS> UTC" and `body` to bench/RESULTS.md (created with its header if missing). */
export function appendResults(title: string, body: string): void {
  if (!existsSync(RESULTS_FILE)) writeFileSync(RESULTS_FILE, RESULTS_HEADER);
  const when = new Date().toISOString().replace('T', ' ').slice(0, 19);
  appendFileSync(RESULTS_FILE, `\n## ${title} — ${when} UTC\n\n${body}\n`);
  console.log(`\nAppended to ${RESULTS_FILE}`);
}
