// Schemas of every project file, by kind. JSON Schemas in resources/schemas are generated from these.
import { deviceFile } from './device.ts';
import { pipelineFile } from './pipeline.ts';
import { pipelineTestFile } from './pipeline-test.ts';
import { projectFile } from './project.ts';
import { simulatorFile } from './simulator.ts';

export const FILE_SCHEMAS = {
  project: projectFile,
  device: deviceFile,
  pipeline: pipelineFile,
  'pipeline-test': pipelineTestFile,
  simulator: simulatorFile,
} as const;
export type FileKind = keyof typeof FILE_SCHEMAS;

export * from './common.ts';
export * from './device.ts';
export * from './pipeline.ts';
export * from './pipeline-test.ts';
export * from './project.ts';
export * from './simulator.ts';
