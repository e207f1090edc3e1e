import type { MqttTopicNode } from '../../../../shared/discovery/mqtt.ts';

// The live topic tree as the renderer keeps it: one listing (a branch's children, one level deep)
// per expanded branch, polled from the host, flattened into the rows in view. Pure, so the
// polling hook and the unit tests share it.

/** A listed node: the host's node without its children (they come with the branch's own listing). */
export type TopicListing = readonly MqttTopicNode[];

export interface TopicRow {
  readonly path: string;
  readonly name: string;
  readonly depth: number;
  readonly node: MqttTopicNode;
  /** There are topics below it: it can be expanded. */
  readonly branch: boolean;
  readonly expanded: boolean;
}

/** At most this many rows are built (a broker with more topics in open branches shows the first). */
export const MAX_ROWS = 20_000;
/** At most this many branches are polled (one tree call each). */
export const MAX_POLLED_BRANCHES = 100;

/**
 * Topics below the node: `topics` counts the node's own topic too. The empty first level of topics
 * with a leading "/" has the root's path "", so it cannot be listed on its own.
 */
export const hasBelow = (n: MqttTopicNode): boolean => n.topics > (n.type !== undefined ? 1 : 0) && n.path !== '';

/** The rows in view: each listed node, and the rows of expanded branches under it. */
export function flattenTree(listings: ReadonlyMap<string, TopicListing>, expanded: ReadonlySet<string>, maxRows = MAX_ROWS): TopicRow[] {
  const rows: TopicRow[] = [];
  const walk = (path: string, depth: number): void => {
    for (const node of listings.get(path) ?? []) {
      if (rows.length >= maxRows) return;
      const branch = hasBelow(node);
      const open = branch && expanded.has(node.path);
      rows.push({ path: node.path, name: node.name, depth, node, branch, expanded: open });
      if (open) walk(node.path, depth + 1);
    }
  };
  walk('', 0);
  return rows;
}

/**
 * The branches to list on the next poll: the root, and each expanded branch that is in view (its
 * parents are open), in tree order, at most `max`.
 */
export function branchesToPoll(rows: readonly TopicRow[], max = MAX_POLLED_BRANCHES): string[] {
  const out = [''];
  for (const r of rows) {
    if (out.length >= max) break;
    if (r.expanded) out.push(r.path);
  }
  return out;
}

/**
 * Branches to open while a topic search is active, so matches show without clicking each level:
 * folders in view that lead to a match and that the user did not close, within the cap.
 */
export function autoExpand(rows: readonly TopicRow[], expanded: ReadonlySet<string>, closedByUser: ReadonlySet<string>, max = MAX_POLLED_BRANCHES): Set<string> | undefined {
  let next: Set<string> | undefined;
  for (const r of rows) {
    if ((next ?? expanded).size >= max - 1) break;
    if (r.branch && !r.expanded && !closedByUser.has(r.path)) (next ??= new Set(expanded)).add(r.path);
  }
  return next;
}

/**
 * Change marks for the flash on a row: a topic's version goes up when its last payload differs
 * from the one seen at the previous poll (not on every message, and not when a row first shows).
 * Remembers only the topics of the last update, so it stays as small as the rows in view.
 */
export class ChangeTracker {
  private seen = new Map<string, { key: string; version: number }>();

  update(nodes: Iterable<MqttTopicNode>): void {
    const next = new Map<string, { key: string; version: number }>();
    for (const n of nodes) {
      if (!n.last) continue;
      const key = `${n.last.size}:${n.last.preview}`;
      const old = this.seen.get(n.path);
      next.set(n.path, { key, version: old === undefined ? 0 : old.key === key ? old.version : old.version + 1 });
    }
    this.seen = next;
  }

  /** 0 until the payload changed once while in view. */
  version(path: string): number {
    return this.seen.get(path)?.version ?? 0;
  }
}

/** The parent branches of a topic path, outermost first ("a/b/c" → "a", "a/b"). */
export function parentsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}
