import { z } from 'zod';
import { value } from './model/common.ts';
import { RUN_MODES } from './rpc/methods/run.ts';
import { toCsv } from './csv.ts';

// The audit log of device writes (workspace DB, docs/live-safety.md): one entry per write and per
// would-be write, whatever the outcome. Pure, so the UI, the RPC contract, the store and the CLI
// share one definition.

/** written: the device took it. dry-run: live read-only, nothing sent. refused: not sent (mode, arming, interlock, device check). failed: sent and refused, unreachable, or the read-back differed. */
export const AUDIT_RESULTS = ['written', 'dry-run', 'refused', 'failed'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export const auditEntry = z.object({
  id: z.number().int(),
  /** When the gate decided, epoch ms. */
  at: z.number(),
  mode: z.enum(RUN_MODES),
  pipeline: z.string(),
  node: z.string(),
  device: z.string(),
  tag: z.string(),
  /** The tag's value read just before the write, when the device answered. */
  oldValue: value.optional(),
  newValue: value,
  /** The value read after the write, when the interlock asks for a read-back. */
  readBack: value.optional(),
  result: z.enum(AUDIT_RESULTS),
  status: z.string(),
  /** The OS user and the host name of the process that wrote. */
  user: z.string(),
  host: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntry>;

export const auditFilter = z
  .object({
    /** Entries at or after this time, epoch ms. */
    since: z.number().optional(),
    /** Entries before this time, epoch ms. */
    until: z.number().optional(),
    device: z.string().optional(),
    tag: z.string().optional(),
    result: z.enum(AUDIT_RESULTS).optional(),
    mode: z.enum(RUN_MODES).optional(),
  })
  .strict();
export type AuditFilter = z.infer<typeof auditFilter>;

export const AUDIT_CSV_COLUMNS = ['id', 'time', 'mode', 'pipeline', 'node', 'device', 'tag', 'old_value', 'new_value', 'read_back', 'result', 'status', 'user', 'host'] as const;

/** Values as JSON text (so "12" the text and 12 the number stay apart); time as ISO 8601 UTC. */
export function auditCsv(entries: Iterable<AuditEntry>): string {
  const json = (v: unknown): string => (v === undefined ? '' : JSON.stringify(v));
  const rows = function* () {
    for (const e of entries) {
      yield [String(e.id), new Date(e.at).toISOString(), e.mode, e.pipeline, e.node, e.device, e.tag, json(e.oldValue), json(e.newValue), json(e.readBack), e.result, e.status, e.user, e.host];
    }
  };
  return toCsv(AUDIT_CSV_COLUMNS, rows());
}
