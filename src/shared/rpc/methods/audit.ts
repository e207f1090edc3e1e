import { z } from 'zod';
import { auditEntry, auditFilter } from '../../audit.ts';
import { method } from '../define.ts';

// The audit log of device writes (docs/live-safety.md): every write and would-be write of every
// run, newest first, filtered and paged; and the same as CSV text for an export.

export const auditMethods = {
  'audit.list': method({
    summary: 'Audit entries matching the filter, newest first, one page at a time: pass nextBefore as before for the next page.',
    request: auditFilter.extend({ limit: z.number().int().min(1).max(5000).default(200), before: z.number().int().optional() }).strict(),
    response: z.object({ entries: z.array(auditEntry), total: z.number().int(), nextBefore: z.number().int().optional() }),
  }),
  'audit.export': method({
    summary: 'Every audit entry matching the filter as CSV (RFC 4180, oldest first, values as JSON text).',
    request: auditFilter,
    response: z.object({ csv: z.string(), rows: z.number().int() }),
  }),
};

export const auditEvents = {};
