// Browse paths and node ids as text (see opcua.ts): `/Objects/Capper/Speed` from Root, `Capper/Speed`
// from Objects; "&" escapes a "/" or "&" inside a browse name, as in OPC UA's RelativePath syntax.

const NODE_ID = /^(ns=\d+;|nsu=[^;]+;)?[isgb]=.+$/s;

/** True for node id text (ns=1;s=…, nsu=<uri>;i=…, i=85); anything else is taken as a path. */
export function isNodeIdText(text: string): boolean {
  return NODE_ID.test(text.trim());
}

export function escapeBrowseName(name: string): string {
  return name.replace(/[&/]/g, (c) => `&${c}`);
}

/** "/Objects/Capper/Speed" for ["Objects", "Capper", "Speed"]; "/" for the Root itself. */
export function joinBrowsePath(names: readonly string[]): string {
  return `/${names.map(escapeBrowseName).join('/')}`;
}

export class BrowsePathError extends Error {}

/**
 * The names of a path, from Root: an absolute path is taken as is (its first name is usually
 * Objects, Types or Views), a relative one is put below Objects. Empty names are refused.
 */
export function parseBrowsePath(text: string): string[] {
  const trimmed = text.trim();
  const absolute = trimmed.startsWith('/');
  const names: string[] = [];
  let current = '';
  for (let i = absolute ? 1 : 0; i < trimmed.length; i++) {
    const c = trimmed[i]!;
    if (c === '&' && i + 1 < trimmed.length) {
      current += trimmed[++i];
    } else if (c === '/') {
      names.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current !== '' || names.length > 0) names.push(current);
  if (names.some((n) => n === '')) throw new BrowsePathError(`"${text}": a path has no empty names (write a "/" inside a name as "&/")`);
  return absolute ? names : ['Objects', ...names];
}

/** The part of an absolute path below /Objects ("Capper/Speed"), or undefined when it is elsewhere. */
export function pathBelowObjects(path: string): string | undefined {
  return path.startsWith('/Objects/') ? path.slice('/Objects/'.length) : undefined;
}
