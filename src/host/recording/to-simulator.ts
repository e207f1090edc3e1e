import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../../shared/problem.ts';
import { replayProfile, type ReplayProfile } from '../../shared/replay-profile.ts';
import { loadProject } from '../../store/project.ts';
import { writeSimulatorProfile } from '../../store/project-writes.ts';
import { RecordingError, type RecordingStore } from '../../store/recordings.ts';

// A recording → simulators/<id>.yaml standing in for one device (profile.device), replaying what
// was recorded at the device's addresses. Another simulator standing in for the same device is
// never overwritten unless it is named (--id): the simulated run would not know which to use.

export interface ToSimulatorRequest {
  readonly recording: number;
  readonly device: string;
  /** The simulator id; "<device>-replay" by default. */
  readonly simulatorId?: string;
  readonly speed?: number;
  readonly loop?: boolean;
}

export interface ToSimulatorResult extends Omit<ReplayProfile, 'profile'> {
  /** Project-relative file written. */
  readonly file: string;
  readonly simulator: string;
  /** True when an existing simulator file was replaced. */
  readonly replaced: boolean;
}

export class ToSimulatorError extends RecordingError {}

export function recordingToSimulator(projectRoot: string, store: RecordingStore, request: ToSimulatorRequest): ToSimulatorResult {
  const recording = store.require(request.recording);
  const loaded = loadProject(projectRoot);
  const entry = loaded.devices.get(request.device);
  if (!entry) throw new ToSimulatorError(`there is no device "${request.device}" (devices: ${[...loaded.devices.keys()].join(', ') || 'none'})`);
  if (!entry.model) throw new ToSimulatorError(`devices/${request.device}.yaml has problems; fix them first: ${formatProblem(loaded.problems.find((p) => p.file === entry.file)!)}`);
  const device = entry.model;
  const recorded = store.tags(recording.id);
  if (!recorded.some((t) => t.device === device.id && t.samples > 0)) {
    const devices = [...new Set(recorded.filter((t) => t.samples > 0).map((t) => t.device ?? t.path))];
    throw new ToSimulatorError(`recording ${recording.id} has no samples of device "${device.id}" (it holds ${devices.join(', ') || 'no samples'})`);
  }
  const id = request.simulatorId ?? `${device.id}-replay`;
  const standing = [...loaded.simulators.values()].find((s) => s.model?.device === device.id && s.model.id !== id);
  if (standing) {
    throw new ToSimulatorError(
      `${standing.file} already stands in for device "${device.id}": name it to replace it (--id ${standing.model!.id}), or remove it, so a simulated run knows which simulator to use`,
    );
  }
  const existing = loaded.simulators.get(id)?.model;
  // A replaced simulator keeps its address, so whatever was pointed at it still finds it.
  const built = replayProfile(device, recorded, {
    id,
    recording: recording.id,
    recordingName: recording.name,
    ...(request.speed !== undefined ? { speed: request.speed } : {}),
    ...(request.loop !== undefined ? { loop: request.loop } : {}),
    ...(existing ? { bind: existing.bind } : {}),
  });
  const file = `simulators/${id}.yaml`;
  const replaced = existing !== undefined || existsSync(join(projectRoot, file));
  writeSimulatorProfile(join(projectRoot, file), built.profile);
  const { profile: _profile, ...rest } = built;
  return { ...rest, file, simulator: id, replaced };
}
