// Browsed variables → device tags and a configured opcua-source. Browsed variables are usually not
// tags of the device yet, so a drop carries the tags to import first (see canvas/dnd.ts); a variable
// the device already reads keeps its existing tag (opcuaTagsFromSelection matches by node id).
import { opcuaTagsFromSelection } from '../../../../shared/discovery/opcua-import.ts';
import type { OpcuaNodeAttributes } from '../../../../shared/discovery/opcua.ts';
import type { OpcuaTag } from '../../../../shared/model/device.ts';
import { errorText, hostClient, notify, refreshDevices } from '../../../state/actions.ts';
import type { NodeDrop } from '../../canvas/dnd.ts';
import type { OpcuaDevice } from './target.ts';
import type { BrowsedVariable } from './tree-model.ts';

/** Tags for browsed variables: names from the browse path below Objects, the node id kept stable, the unit from EngineeringUnits. */
export function tagsFor(device: OpcuaDevice, variables: readonly BrowsedVariable[], values: ReadonlyMap<string, OpcuaNodeAttributes>, namespaces: readonly string[]): OpcuaTag[] {
  const selection = variables.map((v) => {
    const eu = values.get(v.nodeId)?.engineeringUnits;
    return { nodeId: v.nodeId, path: v.path, ...(eu ? { engineeringUnits: eu } : {}) };
  });
  return opcuaTagsFromSelection(selection, { namespaces, existing: device.tags });
}

/** An opcua-source reading the variables, with their tags to import. */
export function variablesDrop(device: OpcuaDevice, tags: readonly OpcuaTag[], name: string): NodeDrop {
  return {
    kind: 'opcua-source',
    config: { device: device.id, tags: tags.map((t) => t.name) },
    name,
    import: { deviceId: device.id, protocol: 'opcua', tags: [...tags] },
  };
}

/** "Import selection": merges the tags into devices/<id>.yaml without adding a node. */
export async function importTags(device: OpcuaDevice, tags: readonly OpcuaTag[]): Promise<void> {
  try {
    const r = await hostClient().call('discovery.import', { deviceId: device.id, protocol: 'opcua', tags: [...tags], onConflict: 'skip' });
    if (r.added.length || r.replaced.length) await refreshDevices();
    const parts = [
      r.added.length ? `added ${r.added.join(', ')}` : '',
      r.unchanged.length ? `${r.unchanged.length} already there` : '',
      r.skipped.length ? `skipped ${r.skipped.join(', ')} (a different tag has that name)` : '',
    ].filter(Boolean);
    notify(`${r.file}: ${parts.join('; ')}`, r.skipped.length ? 'error' : 'ok');
  } catch (err) {
    notify(`Could not import into devices/${device.id}.yaml: ${errorText(err)}`, 'error');
  }
}
