import { auditCsv } from '../../shared/audit.ts';
import type { auditMethods } from '../../shared/rpc/methods/audit.ts';
import type { AuditStore } from '../../store/audit.ts';
import type { Handlers } from '../rpc/server.ts';

// audit.list and audit.export over the workspace DB's audit log (docs/live-safety.md).

/** `store` is asked at each call: the database in use changes after a repair. */
export function createAuditHandlers(store: () => AuditStore): Handlers<typeof auditMethods> {
  return {
    'audit.list': async ({ limit, before, ...filter }) => store().list(filter, { limit, before }),
    'audit.export': async (filter) => {
      // Bounded by the retention policy (AUDIT_MAX_ROWS).
      const entries = [...store().all(filter)];
      return { csv: auditCsv(entries), rows: entries.length };
    },
  };
}
