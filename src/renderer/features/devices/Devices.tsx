import { useState, type ReactNode } from 'react';
import { addNode } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { setNodeDrag, type NodeDrop } from '../canvas/dnd.ts';
import { Tabs } from '../../lib/Tabs.tsx';
import { DeviceDiscovery } from './DeviceDiscovery.tsx';
import { FindDevices } from './scan/FindDevices.tsx';
import { SOURCE_KIND, tagTree, tagsUnder, type TagFolder } from './tree.ts';

// The project's devices and their tags. A tag, a folder of tags or a whole device dragged onto
// the canvas (or Enter on it) becomes a source node of the device's protocol, already configured.
// Each device also has its live discovery view (DeviceDiscovery: browse, probe, topic tree).

const DISCOVERY_LABEL: Record<string, string> = { opcua: 'Browse', modbus: 'Probe', mqtt: 'Topics' };

function dropFor(device: string, protocol: string, tags: string[], name: string): NodeDrop | undefined {
  const kind = SOURCE_KIND[protocol];
  return kind ? { kind, config: { device, tags }, name } : undefined;
}

function Draggable({ drop, className, label, title, children }: { drop: NodeDrop | undefined; className: string; label: string; title?: string; children: ReactNode }) {
  return (
    <div
      className={className}
      draggable={!!drop}
      tabIndex={0}
      role="treeitem"
      aria-label={label}
      title={title}
      onDragStart={(e) => drop && setNodeDrag(e, drop)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && drop) addNode(drop.kind, drop.config, undefined, drop.name);
      }}
    >
      {children}
    </div>
  );
}

function Folder({ device, protocol, folder, depth }: { device: string; protocol: string; folder: TagFolder; depth: number }) {
  const [open, setOpen] = useState(depth < 1);
  return (
    <li>
      <Draggable drop={dropFor(device, protocol, tagsUnder(folder), `${device}-${folder.name}`)} className="pb-tree__row pb-tree__folder" label={`folder ${folder.path}`} title="Drag onto the canvas: a source for every tag in this folder">
        <button type="button" className="pb-tree__toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'}
        </button>
        <span>{folder.name}/</span>
        <span className="pb-muted"> {tagsUnder(folder).length}</span>
      </Draggable>
      {open && <TagList device={device} protocol={protocol} folder={folder} depth={depth + 1} />}
    </li>
  );
}

function TagList({ device, protocol, folder, depth }: { device: string; protocol: string; folder: TagFolder; depth: number }) {
  return (
    <ul className="pb-tree__list" role="group">
      {folder.folders.map((f) => (
        <Folder key={f.path} device={device} protocol={protocol} folder={f} depth={depth} />
      ))}
      {folder.tags.map((t) => (
        <li key={t.name}>
          <Draggable drop={dropFor(device, protocol, [t.name], t.name.replace(/\//g, '-'))} className="pb-tree__row pb-tree__tag" label={`tag ${t.name}`} title={`${t.name}: ${t.detail}\nDrag onto the canvas to read it.`}>
            <span className="pb-tree__tagname">{t.leaf}</span>
            <span className="pb-tree__detail">{t.detail}</span>
          </Draggable>
        </li>
      ))}
    </ul>
  );
}

function DeviceItem({ id, protocol, endpoint, name }: { id: string; protocol: string; endpoint: string; name?: string }) {
  const data = useStore(workbench, (s) => s.deviceData[id]);
  const invalid = useStore(workbench, (s) => s.devices.invalid.has(id));
  const parsed = useStore(workbench, (s) => s.devices.valid.get(id));
  const [open, setOpen] = useState(false);
  const [view, setView] = useState<'tags' | 'discover'>('tags');
  const tags = (data as { tags?: unknown[] } | undefined)?.tags ?? [];
  const tree = tagTree(protocol, tags);
  return (
    <li className="pb-device" data-device={id}>
      <Draggable drop={dropFor(id, protocol, [], id)} className="pb-tree__row pb-tree__device" label={`device ${id}`} title={`${name ?? id}\n${endpoint}\nDrag onto the canvas: a source for every tag`}>
        <button type="button" className="pb-tree__toggle" aria-expanded={open} aria-label={open ? 'collapse' : 'expand'} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'}
        </button>
        <span className={`pb-proto pb-proto--${protocol}`}>{protocol}</span>
        <span className="pb-device__id">{id}</span>
        <span className="pb-muted"> {tags.length} tags</span>
        {invalid && <span className="pb-bad-dot" title="This device file has problems (see Problems)" />}
      </Draggable>
      {open && (
        <div className="pb-device__body">
          <div className="pb-device__endpoint pb-mono" title={endpoint}>
            {endpoint}
          </div>
          {parsed && DISCOVERY_LABEL[protocol] && (
            <Tabs<'tags' | 'discover'>
              className="pb-device__tabs"
              tabs={[
                { id: 'tags', label: `Tags (${tags.length})` },
                { id: 'discover', label: DISCOVERY_LABEL[protocol] },
              ]}
              active={view}
              onSelect={setView}
            />
          )}
          {view === 'discover' && parsed ? <DeviceDiscovery device={parsed} /> : <TagList device={id} protocol={protocol} folder={tree} depth={0} />}
        </div>
      )}
    </li>
  );
}

export function Devices() {
  const devices = useStore(workbench, (s) => s.project?.devices);
  if (!devices) return <p className="pb-muted pb-pad">Loading…</p>;
  return (
    <div className="pb-devices" data-testid="devices">
      <div className="pb-devices__head">
        <p className="pb-hint">{devices.length ? 'Drag a device, folder or tag onto the canvas to read it.' : 'No devices in this project (devices/*.yaml).'}</p>
        <FindDevices />
      </div>
      <ul className="pb-tree" role="tree">
        {devices.map((d) => (
          <DeviceItem key={d.id} {...d} />
        ))}
      </ul>
    </div>
  );
}
