import { z } from 'zod';
import { event, method } from '../define.ts';
import { problem, projectId } from './common.ts';

// The open project: its files as the UI edits them, saving (canonical YAML plus a revision in the
// workspace DB), and the revision history. A file is named by kind and id, never by a path: the
// host maps { kind: 'pipeline', id } to pipelines/<id>.yaml inside the open project.

export const FILE_KINDS = ['project', 'device', 'pipeline', 'simulator'] as const;

/** A file reference plus the fields of one request; `project` (plantbench.yaml) takes no id. */
function fileRequest<S extends z.ZodRawShape>(extra: S) {
  return z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('project'), ...extra }).strict(),
    z.object({ kind: z.enum(['device', 'pipeline', 'simulator']), id: projectId, ...extra }).strict(),
  ]);
}

export const fileRef = fileRequest({});
export type FileRef = z.infer<typeof fileRef>;

export const projectSummary = z.object({
  name: z.string(),
  /** Shown to the user; never sent back. */
  root: z.string(),
  uns: z.record(z.string(), z.string()),
  devices: z.array(z.object({ id: z.string(), name: z.string().optional(), protocol: z.string(), tags: z.number().int(), endpoint: z.string() })),
  pipelines: z.array(z.object({ id: z.string(), name: z.string().optional(), nodes: z.number().int() })),
  simulators: z.array(z.object({ id: z.string(), protocol: z.string(), device: z.string().optional() })),
  problems: z.array(problem),
});
export type ProjectSummary = z.infer<typeof projectSummary>;

/** sha-256 (hex) of a file's bytes as the host last read or wrote them. */
const hash = z.string().regex(/^[0-9a-f]{64}$/);

export const projectMethods = {
  'project.get': method({ summary: 'The open project: devices, pipelines, simulators and every problem.', request: z.object({}).strict(), response: projectSummary }),
  'file.get': method({
    summary: 'One project file as written (references unresolved), its text and hash, with its problems.',
    request: fileRef,
    response: z.object({
      /** Project-relative path, for display. */
      file: z.string(),
      /** The parsed YAML (undefined when the YAML itself is broken). */
      data: z.unknown(),
      text: z.string(),
      hash,
      problems: z.array(problem),
    }),
  }),
  'file.save': method({
    summary:
      'Validates and writes one file as canonical YAML, and records a revision. Invalid data is not written; data that gives the same bytes writes nothing and records no revision.',
    request: fileRequest({
      data: z.unknown(),
      /** The hash file.get returned: the save is refused when the file changed on disk since. Omit to overwrite. */
      baseHash: hash.optional(),
    }),
    response: z.object({
      /** True when the file on disk now holds this data (written, or already identical). */
      saved: z.boolean(),
      /** True when bytes were written (and a revision recorded). */
      changed: z.boolean(),
      file: z.string(),
      hash: hash.optional(),
      /** The file's newest revision, when the workspace DB holds one. */
      revision: z.number().int().optional(),
      problems: z.array(problem),
      /** Something the user should know although the save went through (e.g. no revision: the workspace DB is damaged). */
      warning: z.string().optional(),
    }),
  }),
  'file.validate': method({
    summary: 'The problems a save of this data would report, without writing.',
    request: fileRequest({ data: z.unknown() }),
    response: z.object({ file: z.string(), problems: z.array(problem) }),
  }),
  'revision.list': method({
    summary: 'Saved revisions of one file, newest first.',
    request: fileRef,
    response: z.array(z.object({ revision: z.number().int(), savedAt: z.number(), author: z.string().nullable(), bytes: z.number().int() })),
  }),
  'revision.get': method({
    summary: 'The content of one revision.',
    request: z.object({ revision: z.number().int().positive() }).strict(),
    response: z.object({ revision: z.number().int(), file: z.string(), savedAt: z.number(), author: z.string().nullable(), content: z.string() }),
  }),
};

export const projectEvents = {
  'project.changed': event({
    summary: 'Project files changed: saved through the workbench, or edited on disk (debounced).',
    payload: z.object({ files: z.array(z.string()), source: z.enum(['save', 'disk']) }),
  }),
};
