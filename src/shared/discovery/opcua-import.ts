// "Import selection": browsed OPC UA variables → device tags (devices/<id>.yaml). Pure, so the UI can
// preview the tags before the host writes them.
import type { OpcuaTag } from '../model/device.ts';
import type { OpcuaCrawlNode } from './opcua.ts';
import { parseBrowsePath } from './opcua-path.ts';

/** What a variable needs to become a tag; crawl nodes have all of it. */
export interface OpcuaSelectedVariable {
  readonly nodeId: string;
  /** Absolute browse path (/Objects/Capper/Speed). */
  readonly path: string;
  readonly engineeringUnits?: { readonly displayName: string };
}

/** The Server object: every server has its own (status, capabilities, diagnostics with session nodes). */
const SERVER_OBJECT = 'i=2253';

/**
 * The crawled nodes that belong to the device rather than to the OPC UA stack: not in namespace 0,
 * not below the Server object. Parents come before children in a crawl, so one pass does.
 */
export function deviceNodes(nodes: readonly OpcuaCrawlNode[]): OpcuaCrawlNode[] {
  const server = new Set<string>([SERVER_OBJECT]);
  const out: OpcuaCrawlNode[] = [];
  for (const n of nodes) {
    if (n.parent !== undefined && server.has(n.parent)) server.add(n.nodeId);
    else if (!server.has(n.nodeId) && /^ns=[1-9]/.test(n.nodeId)) out.push(n);
  }
  return out;
}

/** The device variables of a crawl worth a tag: properties of variables (EURange, EngineeringUnits, …) are left out. */
export function importableVariables(nodes: readonly OpcuaCrawlNode[]): OpcuaCrawlNode[] {
  const classes = new Map(nodes.map((n) => [n.nodeId, n.nodeClass]));
  return deviceNodes(nodes).filter((n) => n.nodeClass === 'Variable' && classes.get(n.parent ?? '') !== 'Variable' && classes.get(n.parent ?? '') !== 'Method');
}

/** A tag name from a browse path: below Objects when it is there, each name reduced to letters, digits, "_", "-" and ".". */
export function opcuaTagName(path: string): string {
  let names: string[];
  try {
    names = parseBrowsePath(path);
  } catch {
    names = path.split('/').filter((n) => n !== '');
  }
  if (names[0] === 'Objects' && names.length > 1) names = names.slice(1);
  // Runs of other characters become one "_" ("Speed (rpm)" → "Speed_rpm").
  const clean = names.map((n) => n.replace(/[^A-Za-z0-9_.-]+/g, ' ').trim().replace(/ /g, '_') || '_');
  const name = clean.join('/');
  return /^[A-Za-z0-9_]/.test(name) ? name : `_${name}`;
}

/**
 * The node id to keep in a project file. Namespace indices 0 and 1 are fixed by the standard (OPC UA
 * and the server's own namespace); others may change when the server restarts, so they are written
 * with their URI (`nsu=<uri>;s=…`), which the connector resolves per session. A snapshot simulator
 * carries that URI too, so the same tags work against it.
 */
export function persistentNodeId(nodeId: string, namespaces: readonly string[]): string {
  const m = /^ns=(\d+);(.*)$/s.exec(nodeId);
  if (!m) return nodeId;
  const index = Number(m[1]);
  const uri = namespaces[index];
  return index >= 2 && uri ? `nsu=${uri};${m[2]}` : index === 0 ? m[2]! : nodeId;
}

/**
 * Tags for the selected variables, in order. A variable already in `existing` (same node id) gives
 * its existing tag, so importing again changes nothing; new names are made unique with _2, _3, ….
 * Node ids go through persistentNodeId(); the unit comes from EngineeringUnits. Tags are not marked
 * writable: writing to a plant device is a decision the engineer takes per tag.
 */
export function opcuaTagsFromSelection(
  selection: readonly OpcuaSelectedVariable[],
  options: { readonly namespaces?: readonly string[]; readonly existing?: readonly OpcuaTag[] } = {},
): OpcuaTag[] {
  const namespaces = options.namespaces ?? [];
  const existing = options.existing ?? [];
  const byNodeId = new Map(existing.map((t) => [persistentNodeId(t.nodeId, namespaces), t]));
  const taken = new Set(existing.map((t) => t.name));
  const seen = new Set<string>();
  const out: OpcuaTag[] = [];
  for (const v of selection) {
    const nodeId = persistentNodeId(v.nodeId, namespaces);
    if (seen.has(nodeId)) continue;
    seen.add(nodeId);
    const known = byNodeId.get(nodeId);
    if (known) {
      out.push(known);
      continue;
    }
    const base = opcuaTagName(v.path);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    const unit = v.engineeringUnits?.displayName;
    out.push({ name, nodeId, writable: false, ...(unit ? { unit } : {}) });
  }
  return out;
}
