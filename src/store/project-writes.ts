import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { deviceFile, simulatorFile, type DeviceFile, type SimulatorFile } from '../shared/model/index.ts';
import { formatProblem } from '../shared/problem.ts';
import { toCanonicalYaml } from './canonical.ts';
import { parseProjectFile } from './project.ts';

// Writes that discovery makes into a project: tags imported into devices/<id>.yaml and simulator
// profiles snapshotted from a real device. Both write canonical YAML atomically (temp file + rename),
// and both refuse to write a file that would not validate.

export class ProjectWriteError extends Error {}

/** Writes through a temp file and a rename, so a reader never sees half a file. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Validates and writes a simulator profile; returns the canonical text written. */
export function writeSimulatorProfile(file: string, profile: SimulatorFile): string {
  const parsed = simulatorFile.safeParse(profile);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProjectWriteError(`${file}: the snapshot is not a valid simulator profile: ${issue.path.join('.')}: ${issue.message}`);
  }
  const text = toCanonicalYaml(profile, simulatorFile);
  writeAtomic(file, text);
  return text;
}

type Tag<P extends DeviceFile['protocol']> = Extract<DeviceFile, { protocol: P }>['tags'][number];

export interface ImportTagsResult {
  /** Project-relative path of the device file. */
  readonly file: string;
  readonly created: boolean;
  readonly added: readonly string[];
  readonly replaced: readonly string[];
  /** Tags whose name exists with a different definition and `onConflict` is "skip". */
  readonly skipped: readonly string[];
  /** Tags that exist with the same definition. */
  readonly unchanged: readonly string[];
}

/**
 * Merges discovered tags into devices/<deviceId>.yaml by tag name. When the file does not exist,
 * `create` gives the device (without tags) to create. Existing tags keep their position; new ones
 * are appended. A protocol mismatch or an invalid result is an error and nothing is written.
 */
export function importDeviceTags<P extends DeviceFile['protocol']>(
  projectRoot: string,
  deviceId: string,
  protocol: P,
  tags: readonly Tag<P>[],
  options: { create?: Omit<Extract<DeviceFile, { protocol: P }>, 'tags'>; onConflict?: 'skip' | 'replace' } = {},
): ImportTagsResult {
  const file = join(projectRoot, 'devices', `${deviceId}.yaml`);
  const rel = relative(projectRoot, file);
  let device: Record<string, unknown>;
  let created = false;
  if (existsSync(file)) {
    const { entry, problems } = parseProjectFile('device', rel, readFileSync(file, 'utf8'));
    if (problems.length || !entry.raw) {
      throw new ProjectWriteError(`${rel} has problems; fix them before importing tags:\n${problems.slice(0, 5).map(formatProblem).join('\n')}`);
    }
    device = structuredClone(entry.raw) as Record<string, unknown>;
    if (device.protocol !== protocol) {
      throw new ProjectWriteError(`${rel}: device "${deviceId}" speaks ${String(device.protocol)}, not ${protocol}; choose another device`);
    }
  } else {
    if (!options.create) throw new ProjectWriteError(`${rel} does not exist; give the device connection to create it`);
    device = { ...structuredClone(options.create), id: deviceId };
    created = true;
  }
  const existing = Array.isArray(device.tags) ? (device.tags as Record<string, unknown>[]) : [];
  const byName = new Map(existing.map((t, i) => [t.name, i]));
  const result = { added: [] as string[], replaced: [] as string[], skipped: [] as string[], unchanged: [] as string[] };
  for (const tag of tags) {
    const at = byName.get(tag.name);
    if (at === undefined) {
      byName.set(tag.name, existing.length);
      existing.push({ ...tag });
      result.added.push(tag.name);
    } else if (JSON.stringify(deviceFile.parse({ ...device, tags: [existing[at]] }).tags[0]) === JSON.stringify(deviceFile.parse({ ...device, tags: [tag] }).tags[0])) {
      result.unchanged.push(tag.name);
    } else if (options.onConflict === 'replace') {
      existing[at] = { ...tag };
      result.replaced.push(tag.name);
    } else {
      result.skipped.push(tag.name);
    }
  }
  device.tags = existing;
  const parsed = deviceFile.safeParse(device);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProjectWriteError(`${rel}: the imported tags do not validate: ${issue.path.join('.')}: ${issue.message}`);
  }
  if (created || result.added.length || result.replaced.length) writeAtomic(file, toCanonicalYaml(device, deviceFile));
  return { file: rel, created, ...result };
}
