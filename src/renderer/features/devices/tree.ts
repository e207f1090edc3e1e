// A device's tags as a tree: tag names with "/" are folders (e.g. "line1/filler/level").

export interface TagFolder {
  readonly name: string;
  readonly path: string;
  readonly folders: TagFolder[];
  readonly tags: { name: string; leaf: string; detail: string }[];
}

/** The protocol's source node kind, for tags dragged onto the canvas. */
export const SOURCE_KIND: Record<string, string> = { opcua: 'opcua-source', modbus: 'modbus-source', mqtt: 'mqtt-source' };

function detailOf(protocol: string, tag: Record<string, unknown>): string {
  const unit = typeof tag.unit === 'string' ? ` ${tag.unit}` : '';
  switch (protocol) {
    case 'opcua':
      return `${String(tag.nodeId ?? '')}${unit}`;
    case 'modbus':
      return `${String(tag.area ?? '')} ${String(tag.address ?? '')} ${String(tag.type ?? 'uint16')}${unit}`;
    case 'mqtt':
      return `${String(tag.topic ?? '')}${unit}`;
    default:
      return unit.trim();
  }
}

export function tagTree(protocol: string, tags: readonly unknown[]): TagFolder {
  const root: TagFolder = { name: '', path: '', folders: [], tags: [] };
  for (const raw of tags) {
    if (typeof raw !== 'object' || raw === null) continue;
    const tag = raw as Record<string, unknown>;
    const name = String(tag.name ?? '');
    if (!name) continue;
    const parts = name.split('/');
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.find((f) => f.name === part);
      if (!next) {
        next = { name: part, path: folder.path ? `${folder.path}/${part}` : part, folders: [], tags: [] };
        folder.folders.push(next);
      }
      folder = next;
    }
    folder.tags.push({ name, leaf: parts[parts.length - 1]!, detail: detailOf(protocol, tag) });
  }
  return root;
}

export function tagsUnder(folder: TagFolder): string[] {
  return [...folder.tags.map((t) => t.name), ...folder.folders.flatMap(tagsUnder)];
}
