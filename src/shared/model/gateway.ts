import { z } from 'zod';
import { apiVersion, id } from './common.ts';

/** "500ms", "30s", "15m", "12h", "7d" → milliseconds. */
export function parseDurationText(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

const durationText = z.string().refine((t) => parseDurationText(t) !== undefined, { message: 'write a duration like 30s, 15m, 12h or 7d' });

/** A secret or env reference the bundle needs, written as in project files: ${secret:NAME} or ${env:NAME}. */
const requiredRef = z
  .string()
  .regex(/^\$\{(secret|env):[A-Za-z_][A-Za-z0-9_.-]*\}$/, 'must be a ${secret:NAME} or ${env:NAME} reference');

/**
 * gateway.yaml: how an exported bundle runs on a gateway (docs/gateway.md). Units are the
 * operator's (maxAge "7d"); the runtime converts them to the store-and-forward options.
 */
export const gatewayFile = z
  .object({
    apiVersion,
    kind: z.literal('Gateway'),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Health and Prometheus metrics over HTTP; loopback unless the operator opens it. */
    health: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        /** 0 picks a free port (printed in the "started" log line). */
        port: z.number().int().min(0).max(65535).default(9464),
        /** Needed to bind a non-loopback host: health and metrics then reach the network. */
        allowRemote: z.boolean().default(false),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 9464, allowRemote: false }),
    /** Store-and-forward for MQTT sinks while the broker is unreachable (kept in the state folder). */
    buffer: z
      .object({
        /** File name inside the state folder ($STATE_DIRECTORY, or ./state). */
        file: z.string().min(1).regex(/^[^/\\]+$/, 'a file name inside the state folder, without "/"').default('buffer.db'),
        maxEntries: z.number().int().min(1).default(1_000_000),
        /** Entries older than this are dropped, counted; "0s": no age limit. */
        maxAge: durationText.default('7d'),
        whenFull: z.enum(['drop-oldest', 'pause-sources']).default('drop-oldest'),
        drainPerSecond: z.number().int().min(1).default(5000),
      })
      .strict()
      .default({ file: 'buffer.db', maxEntries: 1_000_000, maxAge: '7d', whenFull: 'drop-oldest', drainPerSecond: 5000 }),
    secrets: z
      .object({
        /** YAML file of NAME: value (chmod 600) for ${secret:NAME}. */
        file: z.string().min(1).optional(),
        /** ${secret:NAME} is also read from the environment variable <envPrefix><NAME>. */
        envPrefix: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and "_"').default('PLANTBENCH_SECRET_'),
        /** Every reference the exported pipelines need; checked at start. */
        required: z.array(requiredRef).default([]),
      })
      .strict()
      .default({ envPrefix: 'PLANTBENCH_SECRET_', required: [] }),
    /** The pipelines to run (files in project/pipelines). */
    pipelines: z.array(id).min(1, 'a gateway runs at least one pipeline'),
  })
  .strict();
export type GatewayFile = z.infer<typeof gatewayFile>;
