import { parsePortRef, type PipelineFile, type PipelineNode } from './model/pipeline.ts';
import { ERROR_PORT, NODE_SPEC_BY_TYPE, type OutputType, type PortContext, type PortType, type Ports } from './nodes/index.ts';

/** A problem in a pipeline, with the field path inside the pipeline file. */
export interface GraphProblem {
  readonly path: (string | number)[];
  readonly message: string;
  readonly node?: string;
}

export interface ResolvedEdge {
  readonly index: number;
  readonly from: { node: string; port: string };
  readonly to: { node: string; port: string };
}

export interface Graph {
  /** Node ids, sources first, every node after all of its inputs. */
  readonly order: string[];
  readonly edges: ResolvedEdge[];
  readonly ports: ReadonlyMap<string, Ports>;
  /** Resolved type of each output port, keyed "node.port". */
  readonly outputTypes: ReadonlyMap<string, PortType>;
}

export function portsOf(node: PipelineNode, ctx: PortContext): Ports {
  const spec = NODE_SPEC_BY_TYPE.get(node.type);
  if (!spec) throw new Error(`unknown node type ${node.type}`);
  return spec.ports(node.config as never, ctx);
}

function assignable(from: PortType, to: PortType): boolean {
  return from === to || from === 'any' || to === 'any';
}

function describePorts(ports: Readonly<Record<string, unknown>>, extra: string[] = []): string {
  const names = [...Object.keys(ports), ...extra];
  return names.length ? names.join(', ') : 'none';
}

/**
 * Checks a parsed pipeline before a run: dangling edges, unknown ports, duplicate edges, cycles,
 * type mismatches between ports, and device and tag references. Every problem names its node and port.
 */
export function analyzeGraph(pipeline: PipelineFile, ctx: PortContext): { graph?: Graph; problems: GraphProblem[] } {
  const problems: GraphProblem[] = [];
  const ports = new Map<string, Ports>();
  for (const [id, node] of Object.entries(pipeline.nodes)) {
    ports.set(id, portsOf(node, ctx));
    problems.push(...checkDeviceRefs(id, node, ctx));
  }

  const edges: ResolvedEdge[] = [];
  const seen = new Set<string>();
  pipeline.edges.forEach((edge, index) => {
    const from = parsePortRef(edge.from, 'out');
    const to = parsePortRef(edge.to, 'in');
    let ok = true;
    const fromPorts = ports.get(from.node);
    if (!fromPorts) {
      problems.push({ path: ['edges', index, 'from'], message: `edge starts at node "${from.node}", which does not exist` });
      ok = false;
    } else if (from.port !== ERROR_PORT && !Object.hasOwn(fromPorts.outputs, from.port)) {
      problems.push({
        path: ['edges', index, 'from'],
        node: from.node,
        message: `node "${from.node}" has no output port "${from.port}" (outputs: ${describePorts(fromPorts.outputs, [ERROR_PORT])})`,
      });
      ok = false;
    }
    const toPorts = ports.get(to.node);
    if (!toPorts) {
      problems.push({ path: ['edges', index, 'to'], message: `edge ends at node "${to.node}", which does not exist` });
      ok = false;
    } else if (!Object.hasOwn(toPorts.inputs, to.port)) {
      problems.push({
        path: ['edges', index, 'to'],
        node: to.node,
        message: `node "${to.node}" has no input port "${to.port}" (inputs: ${describePorts(toPorts.inputs)})`,
      });
      ok = false;
    }
    const key = `${from.node}.${from.port}->${to.node}.${to.port}`;
    if (ok && seen.has(key)) {
      problems.push({ path: ['edges', index], node: to.node, message: `duplicate edge ${from.node}.${from.port} → ${to.node}.${to.port}` });
      ok = false;
    }
    seen.add(key);
    if (ok) edges.push({ index, from, to });
  });

  const order = topologicalOrder(Object.keys(pipeline.nodes), edges, problems);
  if (!order) return { problems };

  // Resolve output types in order; `same` takes the type of what flows in.
  const outputTypes = new Map<string, PortType>();
  const incoming = new Map<string, ResolvedEdge[]>();
  for (const e of edges) pushTo(incoming, e.to.node, e);
  for (const id of order) {
    const nodePorts = ports.get(id)!;
    const inEdges = incoming.get(id) ?? [];
    for (const e of inEdges) {
      const fromType = outputTypes.get(`${e.from.node}.${e.from.port}`) ?? 'any';
      const toType = nodePorts.inputs[e.to.port]!;
      if (!assignable(fromType, toType)) {
        problems.push({
          path: ['edges', e.index],
          node: id,
          message: `type mismatch: ${e.from.node}.${e.from.port} carries ${fromType} but ${id}.${e.to.port} takes ${toType}`,
        });
      }
    }
    const inTypes = new Set(inEdges.map((e) => outputTypes.get(`${e.from.node}.${e.from.port}`) ?? 'any'));
    const sameType: PortType = inTypes.size === 1 ? [...inTypes][0]! : 'any';
    for (const [port, type] of Object.entries(nodePorts.outputs) as [string, OutputType][]) {
      outputTypes.set(`${id}.${port}`, type === 'same' ? sameType : type);
    }
    outputTypes.set(`${id}.${ERROR_PORT}`, 'any');
  }

  return { graph: problems.length ? undefined : { order, edges, ports, outputTypes }, problems };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Kahn's algorithm; on a cycle, reports each edge on it. */
function topologicalOrder(ids: string[], edges: ResolvedEdge[], problems: GraphProblem[]): string[] | undefined {
  const indegree = new Map(ids.map((id) => [id, 0]));
  const out = new Map<string, ResolvedEdge[]>();
  for (const e of edges) {
    indegree.set(e.to.node, (indegree.get(e.to.node) ?? 0) + 1);
    pushTo(out, e.from.node, e);
  }
  const queue = ids.filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    order.push(id);
    for (const e of out.get(id) ?? []) {
      const left = indegree.get(e.to.node)! - 1;
      indegree.set(e.to.node, left);
      if (left === 0) queue.push(e.to.node);
    }
  }
  if (order.length === ids.length) return order;
  const inCycle = new Set(ids.filter((id) => indegree.get(id)! > 0));
  const cycleEdges = edges.filter((e) => inCycle.has(e.from.node) && inCycle.has(e.to.node));
  const loop = [...inCycle].join(' → ');
  for (const e of cycleEdges) {
    problems.push({
      path: ['edges', e.index],
      node: e.to.node,
      message: `edge ${e.from.node}.${e.from.port} → ${e.to.node}.${e.to.port} closes a cycle (${loop}); a pipeline must be acyclic`,
    });
  }
  return undefined;
}

function checkDeviceRefs(id: string, node: PipelineNode, ctx: PortContext): GraphProblem[] {
  const spec = NODE_SPEC_BY_TYPE.get(node.type);
  if (!spec?.protocol) return [];
  const config = node.config as { device: string; tags?: string[]; tag?: string };
  const base = ['nodes', id, 'config'];
  const device = ctx.device(config.device);
  if (!device && ctx.deviceFileInvalid?.(config.device)) return [];
  if (!device) {
    return [{ path: [...base, 'device'], node: id, message: `device "${config.device}" does not exist (no devices/${config.device}.yaml)` }];
  }
  if (device.protocol !== spec.protocol) {
    return [{ path: [...base, 'device'], node: id, message: `${node.type} needs a ${spec.protocol} device, but "${config.device}" is ${device.protocol}` }];
  }
  const known = new Set(device.tags.map((t) => t.name));
  const problems: GraphProblem[] = [];
  config.tags?.forEach((tag, i) => {
    if (!known.has(tag)) problems.push({ path: [...base, 'tags', i], node: id, message: `device "${config.device}" has no tag "${tag}"` });
  });
  if (config.tag !== undefined) {
    const tag = device.tags.find((t) => t.name === config.tag);
    if (!tag) problems.push({ path: [...base, 'tag'], node: id, message: `device "${config.device}" has no tag "${config.tag}"` });
    else if ('writable' in tag && !tag.writable) {
      problems.push({ path: [...base, 'tag'], node: id, message: `tag "${config.tag}" of device "${config.device}" is not marked writable` });
    }
  }
  return problems;
}
