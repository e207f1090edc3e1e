// Pure helpers of the Audit tab: the filter as the user picks it → the audit.list request, and the
// live refresh that puts new entries on top of the pages already shown.
import type { AuditEntry, AuditFilter, AuditResult } from '../../../shared/audit.ts';

export const SINCE_CHOICES = [
  { id: 'all', label: 'any time', ms: undefined },
  { id: '15m', label: 'last 15 min', ms: 15 * 60_000 },
  { id: '1h', label: 'last hour', ms: 3_600_000 },
  { id: '24h', label: 'last 24 h', ms: 86_400_000 },
  { id: '7d', label: 'last 7 days', ms: 7 * 86_400_000 },
] as const;
export type SinceChoice = (typeof SINCE_CHOICES)[number]['id'];

export interface AuditView {
  readonly device: string;
  readonly result: AuditResult | '';
  readonly since: SinceChoice;
}

export const ANY: AuditView = { device: '', result: '', since: 'all' };

/** The filter of audit.list and audit.export for what the user picked; empty fields filter nothing. */
export function auditFilterOf(view: AuditView, now = Date.now()): AuditFilter {
  const ms = SINCE_CHOICES.find((c) => c.id === view.since)?.ms;
  return { ...(view.device ? { device: view.device } : {}), ...(view.result ? { result: view.result } : {}), ...(ms !== undefined ? { since: now - ms } : {}) };
}

/**
 * The entries shown after a refresh of the first page (newest first): new entries go on top of
 * the pages already loaded. When the fresh page holds nothing already shown (more new entries
 * than a page), the older pages are dropped so no gap opens; `nextBefore` then comes from the fresh page.
 */
export function mergeFresh(shown: readonly AuditEntry[], fresh: readonly AuditEntry[], shownNext: number | undefined, freshNext: number | undefined): { entries: AuditEntry[]; nextBefore: number | undefined } {
  const top = shown[0]?.id;
  if (top === undefined) return { entries: [...fresh], nextBefore: freshNext };
  const newer = fresh.filter((e) => e.id > top);
  if (newer.length === fresh.length && freshNext !== undefined) return { entries: [...fresh], nextBefore: freshNext };
  return newer.length ? { entries: [...newer, ...shown], nextBefore: shownNext } : { entries: [...shown], nextBefore: shownNext };
}

/** A value as stored (JSON), so the text "12" and the number 12 read apart; empty when absent. */
export const auditValue = (v: unknown): string => (v === undefined ? '' : JSON.stringify(v));

/** audit-2024-05-01T08-00-00.csv */
export const auditFileName = (now = Date.now()): string => `audit-${new Date(now).toISOString().slice(0, 19).replace(/:/g, '-')}.csv`;
