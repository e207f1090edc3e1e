// node-opcua writes its warnings and errors to the console, which would corrupt `--json` output and
// bypass the run log. Its loggers are process-wide, so they are routed to the most recently
// registered sink (a connector or a simulator); with none, they are dropped.
import { format } from 'node:util';
import { setErrorLogger, setWarningLogger } from 'node-opcua';
import type { ConnectorEnv } from '../connector.ts';

type Log = ConnectorEnv['log'];

const sinks: Log[] = [];
const counts = new Map<string, number>();
/** Like node-opcua's own loggers: one call site logs at most this many times. */
const MAX_PER_SITE = 100;
let installed = false;

const ANSI = /\x1b\[[0-9;]*m/g;

function forward(level: 'debug' | 'warn', context: unknown, args: unknown[]): void {
  const sink = sinks[sinks.length - 1];
  if (!sink) return;
  const where = context && typeof context === 'object' && 'filename' in context
    ? `${String((context as { filename: unknown }).filename)}:${String((context as { callerline?: unknown }).callerline ?? '')}`
    : 'node-opcua';
  const n = (counts.get(where) ?? 0) + 1;
  counts.set(where, n);
  if (n > MAX_PER_SITE) return;
  const message = format(...args).replace(ANSI, '').trim().split('\n').slice(0, 5).join(' | ');
  sink(level, `node-opcua: ${message}`, { source: where });
}

/** Routes node-opcua's warnings (as debug) and errors (as warn) to `log` until the returned function is called. */
export function routeStackLog(log: Log): () => void {
  if (!installed) {
    installed = true;
    setWarningLogger((context?: unknown, ...args: unknown[]) => forward('debug', context, args));
    setErrorLogger((context?: unknown, ...args: unknown[]) => forward('warn', context, args));
  }
  sinks.push(log);
  return () => {
    const i = sinks.lastIndexOf(log);
    if (i >= 0) sinks.splice(i, 1);
  };
}
