import { z } from 'zod';
import { NODE_SPECS, type NodeSpec } from '../nodes/index.ts';
import { apiVersion, id, position } from './common.ts';
import { queueConfig, type QueueConfig } from './project.ts';

function nodeSchema(spec: NodeSpec) {
  return z
    .object({
      type: z.literal(spec.type),
      name: z.string().min(1).optional(),
      description: z.string().optional(),
      config: spec.config,
      /** Bounds and overflow policy of this node's input edges. */
      queue: queueConfig.optional(),
      position: position.optional(),
    })
    .strict();
}

const KNOWN_TYPES = NODE_SPECS.map((s) => s.type).join(', ');

export const pipelineNode = z.discriminatedUnion(
  'type',
  NODE_SPECS.map((spec) => nodeSchema(spec as NodeSpec)) as unknown as [ReturnType<typeof nodeSchema>],
  {
    error: (issue) =>
      issue.code === 'invalid_union' && issue.input !== undefined
        ? `unknown node type ${JSON.stringify((issue.input as { type?: unknown })?.type)}; known types: ${KNOWN_TYPES}`
        : undefined,
  },
);

type NodeOf<S> = S extends NodeSpec<infer T, infer C>
  ? {
      type: T;
      name?: string;
      description?: string;
      position?: { x: number; y: number };
      queue?: QueueConfig;
      config: z.output<C>;
    }
  : never;

export type PipelineNode = NodeOf<(typeof NODE_SPECS)[number]>;

/** "node" or "node.port". */
export const portRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}(\.[a-z][a-z0-9-]*)?$/, 'must be "node-id" or "node-id.port"');

export const pipelineEdge = z.object({ from: portRef, to: portRef }).strict();
export type PipelineEdge = z.infer<typeof pipelineEdge>;

export const pipelineFile = z
  .object({
    apiVersion,
    kind: z.literal('Pipeline'),
    id,
    name: z.string().min(1),
    description: z.string().optional(),
    nodes: z.record(id, pipelineNode),
    edges: z.array(pipelineEdge).default([]),
  })
  .strict();

export type PipelineFile = Omit<z.infer<typeof pipelineFile>, 'nodes'> & { nodes: Record<string, PipelineNode> };

/** Splits "node.port" into its parts, with the default port when none is named. */
export function parsePortRef(ref: string, defaultPort: string): { node: string; port: string } {
  const dot = ref.indexOf('.');
  return dot < 0 ? { node: ref, port: defaultPort } : { node: ref.slice(0, dot), port: ref.slice(dot + 1) };
}
