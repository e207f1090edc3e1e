// Sparkplug B topic namespace: spBv1.0/<group>/<type>/<edge node>[/<device>].

export const SP_NAMESPACE = 'spBv1.0';

export const NODE_TYPES = ['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'] as const;
export const DEVICE_TYPES = ['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'] as const;
export type SpMessageType = (typeof NODE_TYPES)[number] | (typeof DEVICE_TYPES)[number];

export interface SpTopic {
  readonly group: string;
  readonly type: SpMessageType;
  readonly edgeNode: string;
  readonly device?: string;
}

/** The edge node's metric every NBIRTH and NDEATH carries, tying the death to the birth. */
export const BDSEQ = 'bdSeq';
export const REBIRTH = 'Node Control/Rebirth';

export function sparkplugTopic(group: string, type: SpMessageType, edgeNode: string, device?: string): string {
  return device === undefined ? `${SP_NAMESPACE}/${group}/${type}/${edgeNode}` : `${SP_NAMESPACE}/${group}/${type}/${edgeNode}/${device}`;
}

/** A Sparkplug B topic, or undefined for anything else (STATE, other namespaces, wrong level count). */
export function parseSparkplugTopic(topic: string): SpTopic | undefined {
  if (!topic.startsWith(`${SP_NAMESPACE}/`)) return undefined;
  const parts = topic.split('/');
  const type = parts[2] as SpMessageType;
  const isNode = (NODE_TYPES as readonly string[]).includes(type);
  const isDevice = (DEVICE_TYPES as readonly string[]).includes(type);
  if (isNode && parts.length === 4) return { group: parts[1]!, type, edgeNode: parts[3]! };
  if (isDevice && parts.length === 5) return { group: parts[1]!, type, edgeNode: parts[3]!, device: parts[4]! };
  return undefined;
}

/** Births and deaths report on the same values as data messages: DBIRTH/DDEATH count as DDATA, N… as NDATA. */
export function dataTypeOf(type: SpMessageType): 'NDATA' | 'DDATA' | undefined {
  if (type === 'NBIRTH' || type === 'NDATA' || type === 'NDEATH') return 'NDATA';
  if (type === 'DBIRTH' || type === 'DDATA' || type === 'DDEATH') return 'DDATA';
  return undefined;
}
