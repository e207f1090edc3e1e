// Structured JSON log lines for the gateway: one object per line on stdout, for journald, Docker and
// log shippers. Fields: time (ISO), level, msg, then the context (pipeline, node, ...).
import type { LogEntry } from '../engine/runtime.ts';
import { formatProblem, type Problem } from '../shared/problem.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface JsonLog {
  level: LogLevel;
  event(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /** Engine and connector entries, as the runner emits them. */
  engine(entry: LogEntry): void;
  /** One line per located problem: `where` is file:line:col field.path: message. */
  problems(msg: string, problems: readonly Problem[], fileBase?: string): void;
}

export function jsonLog(level: LogLevel = 'info', write: (line: string) => void = (l) => void process.stdout.write(l)): JsonLog {
  const log: JsonLog = {
    level,
    event(lvl, msg, fields) {
      if (RANK[lvl] < RANK[log.level]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields })}\n`);
    },
    engine(entry) {
      if (RANK[entry.level] < RANK[log.level]) return;
      const { ts, level: lvl, message, pipeline, node, fields } = entry;
      const context = pipeline === 'plantbench' ? {} : { pipeline, ...(node ? { node } : {}) };
      write(`${JSON.stringify({ time: new Date(ts).toISOString(), level: lvl, msg: message, ...context, ...fields })}\n`);
    },
    problems(msg, problems, fileBase) {
      for (const p of problems) {
        const file = fileBase ? `${fileBase}/${p.file}` : p.file;
        log.event('error', msg, { where: formatProblem({ ...p, file }), file, line: p.line, col: p.col, path: p.path, problem: p.message });
      }
    },
  };
  return log;
}
