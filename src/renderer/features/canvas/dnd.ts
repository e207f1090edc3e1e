// What is dragged onto the canvas from the palette or the Devices panel: a node kind and a
// starting config. The same payload is used when a palette item is added with the keyboard.

export const NODE_DRAG_TYPE = 'application/x-plantbench-node';

export interface NodeDrop {
  readonly kind: string;
  readonly config: unknown;
  /** A readable base for the new node's id (e.g. the tag name). */
  readonly name?: string;
}

export function setNodeDrag(e: { dataTransfer: DataTransfer | null }, drop: NodeDrop): void {
  if (!e.dataTransfer) return;
  e.dataTransfer.setData(NODE_DRAG_TYPE, JSON.stringify(drop));
  e.dataTransfer.setData('text/plain', drop.name ?? drop.kind);
  e.dataTransfer.effectAllowed = 'copy';
}

export function readNodeDrag(e: { dataTransfer: DataTransfer | null }): NodeDrop | undefined {
  const raw = e.dataTransfer?.getData(NODE_DRAG_TYPE);
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as NodeDrop;
    return typeof v.kind === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export function hasNodeDrag(e: { dataTransfer: DataTransfer | null }): boolean {
  return !!e.dataTransfer?.types.includes(NODE_DRAG_TYPE);
}
