import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AuditEntry } from '../../../src/shared/audit.ts';
import { deviceFile, type DeviceFile } from '../../../src/shared/model/device.ts';
import type { CompareOutput } from '../../../src/shared/recording.ts';
import type { WritableTag } from '../../../src/shared/rpc/methods/run.ts';
import { auditFileName, auditFilterOf, auditValue, mergeFresh } from '../../../src/renderer/features/audit/audit-model.ts';
import { fillOf, formatDuration, recordedDevices, sideBySide, tagList, tagsRead, trimRange } from '../../../src/renderer/features/recordings/recordings-model.ts';
import { armProblem, formatCountdown } from '../../../src/renderer/features/topbar/arming-model.ts';

// The pure parts of the live-safety UI: arming countdown and confirmation, the audit tab's filter
// and live refresh, and the recordings panel's tag picking, fill level, trim bounds and compare rows.

const EXAMPLE = join(import.meta.dirname, '../../../flows/bottling-line');
const read = (file: string): unknown => parse(readFileSync(join(EXAMPLE, file), 'utf8'));

const WRITABLE: WritableTag[] = [{ device: 'filler', tag: 'level_setpoint', nodes: ['steps/setpoint'], limits: '0..400' }];

describe('arming', () => {
  it('counts down in minutes and seconds, hours when long, never below zero', () => {
    expect(formatCountdown(15 * 60_000)).toBe('15:00');
    expect(formatCountdown(61_001)).toBe('1:02');
    expect(formatCountdown(999)).toBe('0:01');
    expect(formatCountdown(3_723_000)).toBe('1:02:03');
    expect(formatCountdown(-5000)).toBe('0:00');
  });

  it('arms only with tags to write, a time limit within 0..480 minutes, and the typed word', () => {
    expect(armProblem('15', 'arm', [])).toMatch(/nothing to arm/);
    expect(armProblem('', 'arm', WRITABLE)).toMatch(/time limit/);
    expect(armProblem('0', 'arm', WRITABLE)).toMatch(/time limit/);
    expect(armProblem('481', 'arm', WRITABLE)).toMatch(/at most 480/);
    expect(armProblem('abc', 'arm', WRITABLE)).toMatch(/time limit/);
    expect(armProblem('15', 'yes', WRITABLE)).toBe('type "arm" to confirm');
    expect(armProblem('0.05', ' ARM ', WRITABLE)).toBeUndefined();
    expect(armProblem('480', 'arm', WRITABLE)).toBeUndefined();
  });
});

const entry = (id: number): AuditEntry => ({
  id,
  at: 1_700_000_000_000 + id,
  mode: 'live-read-only',
  pipeline: 'p',
  node: 'n',
  device: 'filler',
  tag: 'level_setpoint',
  newValue: id,
  result: 'dry-run',
  status: `would write ${id}`,
  user: 'ann',
  host: 'bench',
});
const ids = (entries: readonly AuditEntry[]): number[] => entries.map((e) => e.id);

describe('the audit tab', () => {
  it('turns the picked device, result and time into the audit.list filter', () => {
    const now = 1_700_000_000_000;
    expect(auditFilterOf({ device: '', result: '', since: 'all' }, now)).toEqual({});
    expect(auditFilterOf({ device: 'filler', result: 'refused', since: '1h' }, now)).toEqual({ device: 'filler', result: 'refused', since: now - 3_600_000 });
  });

  it('puts new entries on top of the pages shown, and starts over when more arrived than a page holds', () => {
    const shown = [entry(5), entry(4), entry(3)];
    expect(mergeFresh(shown, [entry(7), entry(6), entry(5)], 3, 5)).toEqual({ entries: [entry(7), entry(6), ...shown], nextBefore: 3 });
    expect(ids(mergeFresh(shown, [entry(5), entry(4)], 3, undefined).entries)).toEqual([5, 4, 3]);
    // A whole fresh page of new entries: the older pages would leave a gap, so they go.
    expect(mergeFresh(shown, [entry(9), entry(8)], 3, 8)).toEqual({ entries: [entry(9), entry(8)], nextBefore: 8 });
    expect(mergeFresh([], [entry(2), entry(1)], undefined, undefined)).toEqual({ entries: [entry(2), entry(1)], nextBefore: undefined });
  });

  it('shows values as JSON, so the text "12" and the number 12 read apart', () => {
    expect(auditValue(12)).toBe('12');
    expect(auditValue('12')).toBe('"12"');
    expect(auditValue(undefined)).toBe('');
    expect(auditFileName(Date.UTC(2024, 4, 1, 8, 0, 0))).toBe('audit-2024-05-01T08-00-00.csv');
  });
});

describe('the recordings panel', () => {
  const devices = new Map<string, DeviceFile>(['filler', 'capper'].map((id) => [id, deviceFile.parse(read(`devices/${id}.yaml`))]));
  const index = { valid: devices, invalid: new Set<string>() };

  it('knows the tags the pipelines read: named ones, every tag of a device for tags: [], none for a signal', () => {
    const reads = tagsRead(
      [
        read('pipelines/filler-uns.yaml'),
        { nodes: { all: { type: 'opcua-source', config: { device: 'capper', tags: [] } }, sig: { type: 'signal', config: { path: 'x', shape: { kind: 'sine' } } }, out: { type: 'modbus-sink', config: { device: 'filler', tag: 'level_setpoint' } } } },
        undefined,
      ],
      index,
    );
    expect([...(reads.get('filler') ?? [])].sort()).toEqual(['bottles', 'fault', 'level', 'running']);
    expect([...(reads.get('capper') ?? [])].sort()).toEqual(['speed', 'state', 'torque']);
    expect(reads.has('x')).toBe(false);
  });

  it('reads the fill level as the larger of size and duration, capped at 1', () => {
    expect(fillOf({ bytes: 10, maxBytes: 100, elapsedMs: 500, maxDurationMs: 1000 })).toBe(0.5);
    expect(fillOf({ bytes: 300, maxBytes: 100, elapsedMs: 0 })).toBe(1);
    expect(fillOf({ fill: 0.25, bytes: 0, elapsedMs: 0 })).toBe(0.25);
    expect(fillOf({ bytes: 10, elapsedMs: 10 })).toBeUndefined();
  });

  it('trims by seconds after the first sample, within the recording', () => {
    const r = { firstTs: 1000, lastTs: 11_000 };
    expect(trimRange(r, '2', '4.5')).toEqual({ from: 3000, to: 5500 });
    expect(trimRange(r, '0', '10')).toEqual({ from: 1000, to: 11_000 });
    expect(trimRange(r, '5', '5')).toEqual({ problem: 'to comes after from' });
    expect(trimRange(r, '-1', '5')).toHaveProperty('problem');
    expect(trimRange(r, '0', '11')).toHaveProperty('problem');
    expect(trimRange({}, '0', '1')).toEqual({ problem: 'the recording has no samples' });
  });

  it('lists tags and devices of a recording, and durations in words', () => {
    const tags = ['filler/level', 'filler/bottles', 'capper/speed', 'x'].map((path, index) => ({ index, path, samples: 1, ...(path.includes('/') ? { device: path.split('/')[0] } : {}) }));
    expect(tagList({ tags })).toBe('filler/level, filler/bottles, capper/speed +1');
    expect(recordedDevices({ tags })).toEqual(['capper', 'filler']);
    expect(formatDuration(4900)).toBe('4.9 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
  });

  it('lays a comparison out side by side: A left, B right, empty where only one has the sample', () => {
    const output: CompareOutput = {
      output: 'uns',
      countA: 3,
      countB: 2,
      same: 0,
      differing: 3,
      truncated: false,
      differences: [
        { indexA: 0, indexB: 0, ts: 1, path: 'p', kind: 'value', valueA: 104.59562800000002, valueB: 20 },
        { indexA: 1, ts: 2, path: 'p', kind: 'only-a', valueA: 'on' },
        { indexA: 2, indexB: 1, ts: 3, path: 'p', kind: 'quality', valueA: 1, valueB: 1, qualityA: 'good', qualityB: 'bad' },
      ],
    };
    const rows = sideBySide(output);
    expect(rows.map((r) => [r.kind, r.a?.value, r.b?.value])).toEqual([
      ['value', '104.595628', '20'],
      ['only-a', '"on"', undefined],
      ['quality', '1', '1'],
    ]);
    expect(rows[2]!.b).toEqual({ index: 1, value: '1', quality: 'bad' });
  });
});
