// What is dragged onto the canvas from the palette or the Devices panel: a node kind and a
// starting config. The same payload is used when a palette item is added with the keyboard.
//
// A drop from a discovery tree (browsed OPC UA variables, captured MQTT topics, probed registers)
// names points that are not tags of the device yet: it carries `import`, the tags to merge into
// devices/<deviceId>.yaml first (discovery.import, onConflict skip). `placeNodeDrop` runs that
// import, re-reads the device files, then adds the node; `config` names the imported tags by
// their names in `import.tags`. If the device already has a different tag of one of those names,
// the import skips it and the drop adds nothing (the notice says which).
import type { RequestOf } from '../../../shared/rpc/define.ts';
import type { Methods } from '../../../shared/rpc/contract.ts';
import { addNode, errorText, hostClient, notify, refreshDevices } from '../../state/actions.ts';

export const NODE_DRAG_TYPE = 'application/x-plantbench-node';

type ImportRequest = RequestOf<Methods, 'discovery.import'>;

export interface NodeDropImport {
  readonly deviceId: string;
  readonly protocol: ImportRequest['protocol'];
  readonly tags: ImportRequest['tags'];
}

export interface NodeDrop {
  readonly kind: string;
  readonly config: unknown;
  /** A readable base for the new node's id (e.g. the tag name). */
  readonly name?: string;
  /** Tags to import into the device before the node is added (drops from discovery trees). */
  readonly import?: NodeDropImport;
}

/** Adds the dropped node (at `position`, else the canvas centre), importing its tags first when the drop says so. */
export async function placeNodeDrop(drop: NodeDrop, position?: { x: number; y: number }): Promise<string | undefined> {
  if (drop.import) {
    const { deviceId, protocol, tags } = drop.import;
    try {
      const r = await hostClient().call('discovery.import', { deviceId, protocol, tags, onConflict: 'skip' });
      if (r.skipped.length) {
        notify(`Not added: ${r.file} already has different tags named ${r.skipped.join(', ')}`, 'error');
        return undefined;
      }
      if (r.added.length || r.replaced.length) await refreshDevices();
    } catch (err) {
      notify(`Could not import the tags into devices/${deviceId}.yaml: ${errorText(err)}`, 'error');
      return undefined;
    }
  }
  return addNode(drop.kind, drop.config, position, drop.name);
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
