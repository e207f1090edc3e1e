import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceWriteIo } from '../../../src/engine/device-writes.ts';
import { ArmingError, SafetyGate } from '../../../src/host/safety/gate.ts';
import { interlock } from '../../../src/shared/model/device.ts';
import type { ArmingState, RunMode } from '../../../src/shared/rpc/methods/run.ts';
import type { Value } from '../../../src/shared/sample.ts';
import { AuditStore } from '../../../src/store/audit.ts';
import { openWorkspaceDb, type WorkspaceDb } from '../../../src/store/workspace-db.ts';

// The write gate's decisions per mode, arming and interlock, with the audit log on a real SQLite
// file. The device is a register in memory that counts its writes; the integration tests
// (test/integration/live-safety.test.ts) do the same against the real simulators.

class Register {
  value: Value;
  writes = 0;
  writable = true;
  /** What the device holds after a write (a device that clamps or ignores). */
  keeps?: (v: Value) => Value;
  constructor(value: Value) {
    this.value = value;
  }
  io(value: Value): DeviceWriteIo {
    return {
      check: async () => (this.writable ? { ok: true, status: 'ok' } : { ok: false, status: 'BadNotWritable' }),
      read: async () => ({ ok: true, value: this.value }),
      write: async () => {
        this.writes++;
        this.value = this.keeps ? this.keeps(value) : value;
        return { ok: true, status: 'Good' };
      },
    };
  }
}

const WHO = { user: 'ann', host: 'gw1' };
const WRITABLE = [
  { device: 'plc', tag: 'speed', nodes: ['p/w'], interlock: interlock.parse({ min: 0, max: 1200, maxRatePerSecond: 100, readBack: { tolerance: 0.5 } }), limits: '' },
  { device: 'plc', tag: 'mode', nodes: ['p/m'], interlock: interlock.parse({ allowed: [0, 1, 2] }), limits: '' },
];

let dir: string;
let db: WorkspaceDb;
let gate: SafetyGate | undefined;
afterEach(() => {
  gate?.dispose();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

function setup(mode: RunMode, now: { t: number }) {
  dir = mkdtempSync(join(tmpdir(), 'pb-gate-'));
  db = openWorkspaceDb(join(dir, 'workspace.db'));
  const audit = new AuditStore(db);
  const changes: ArmingState[] = [];
  gate = new SafetyGate({ mode, writable: WRITABLE, audit, who: WHO, now: () => now.t, onChange: (s) => changes.push(s) });
  const write = (tag: string, value: Value, reg: Register) =>
    gate!.write({ pipeline: 'p', node: tag === 'speed' ? 'w' : 'm', device: 'plc', tag, value, sample: { path: 'x', value, quality: 'good', ts: now.t } }, reg.io(value));
  const rows = () => [...audit.all()].map(({ id: _id, ...rest }) => rest);
  return { gate, write, rows, changes };
}

describe('safety gate', () => {
  it('live read-only never writes: a dry run with the old value, still checked against the interlocks', async () => {
    const now = { t: 1_000_000 };
    const { write, rows } = setup('live-read-only', now);
    const speed = new Register(100);
    expect(await write('speed', 150, speed)).toEqual({ outcome: 'dry-run', status: 'would write 150 to plc/speed (it holds 100)', oldValue: 100 });
    expect(await write('speed', 5000, speed)).toEqual({ outcome: 'refused', status: 'interlock: 5000 is above max 1200' });
    speed.writable = false;
    now.t += 1000;
    expect(await write('speed', 160, speed)).toEqual({ outcome: 'refused', status: 'BadNotWritable' });
    expect(speed.writes).toBe(0);
    expect(speed.value).toBe(100);
    expect(rows()).toEqual([
      { at: 1_000_000, mode: 'live-read-only', pipeline: 'p', node: 'w', device: 'plc', tag: 'speed', oldValue: 100, newValue: 150, result: 'dry-run', status: 'would write 150 to plc/speed (it holds 100)', user: 'ann', host: 'gw1' },
      { at: 1_000_000, mode: 'live-read-only', pipeline: 'p', node: 'w', device: 'plc', tag: 'speed', newValue: 5000, result: 'refused', status: 'interlock: 5000 is above max 1200', user: 'ann', host: 'gw1' },
      { at: 1_001_000, mode: 'live-read-only', pipeline: 'p', node: 'w', device: 'plc', tag: 'speed', newValue: 160, result: 'refused', status: 'BadNotWritable', user: 'ann', host: 'gw1' },
    ]);
  });

  it('live armed writes only while armed, within the interlocks, with a read-back', async () => {
    const now = { t: 1_000_000 };
    const { gate, write, rows, changes } = setup('live-armed', now);
    const speed = new Register(100);
    const mode = new Register(0);
    expect(await write('speed', 110, speed)).toEqual({ outcome: 'refused', status: 'not written: not armed (not armed yet)' });
    expect(() => gate.arm([{ device: 'plc', tag: 'speed' }], 5)).toThrow(ArmingError);
    expect(() => gate.arm([{ device: 'plc', tag: 'speed' }], 5)).toThrow('the confirmation does not match what this run can write; not confirmed: plc/mode. Look at the list again and confirm it as shown.');
    expect(() => gate.arm([...WRITABLE, { device: 'plc', tag: 'ghost' }], 5)).toThrow(/not writable in this run: plc\/ghost/);
    expect(() => gate.arm(WRITABLE, 481)).toThrow(/at most 480 minutes/);
    const armed = gate.arm(WRITABLE, 5);
    expect(armed).toMatchObject({ armed: true, armedAt: 1_000_000, until: 1_000_000 + 5 * 60_000, by: 'ann@gw1' });
    expect(changes.map((c) => c.armed)).toEqual([true]);

    expect(await write('speed', 110, speed)).toEqual({ outcome: 'written', status: 'Good, read back 110', oldValue: 100, readBack: 110 });
    now.t += 100;
    // 110 → 150 in 0.1 s is 400/s.
    expect(await write('speed', 150, speed)).toMatchObject({ outcome: 'refused', status: 'interlock: changing from 110 to 150 in 0.1 s (400/s) is faster than maxRatePerSecond 100' });
    now.t += 1000;
    expect(await write('speed', 150, speed)).toMatchObject({ outcome: 'written', oldValue: 110 });
    expect(await write('mode', 3, mode)).toEqual({ outcome: 'refused', status: 'interlock: 3 is not an allowed value (0, 1, 2)' });
    expect(await write('mode', 2, mode)).toEqual({ outcome: 'written', status: 'Good', oldValue: 0 });
    // A device that clamps: the read-back shows it.
    now.t += 1000;
    speed.keeps = () => 120;
    expect(await write('speed', 180, speed)).toEqual({ outcome: 'failed', status: 'read-back: the device holds 120 after writing 180 (tolerance 0.5)', oldValue: 150, readBack: 120 });
    expect(speed.writes).toBe(3);
    expect(mode.writes).toBe(1);
    expect(rows().map((r) => [r.tag, r.newValue, r.result])).toEqual([
      ['speed', 110, 'refused'],
      ['speed', 110, 'written'],
      ['speed', 150, 'refused'],
      ['speed', 150, 'written'],
      ['mode', 3, 'refused'],
      ['mode', 2, 'written'],
      ['speed', 180, 'failed'],
    ]);
    expect(rows()[6]).toEqual({ at: now.t, mode: 'live-armed', pipeline: 'p', node: 'w', device: 'plc', tag: 'speed', oldValue: 150, newValue: 180, readBack: 120, result: 'failed', status: 'read-back: the device holds 120 after writing 180 (tolerance 0.5)', user: 'ann', host: 'gw1' });
  });

  it('disarms by itself at the time limit, and at once on the kill switch', async () => {
    const now = { t: 1_000_000 };
    const { gate, write, changes } = setup('live-armed', now);
    const speed = new Register(100);
    gate.arm(WRITABLE, 1);
    now.t += 60_000;
    // The check at each write catches the expiry even before the timer fires.
    expect(await write('speed', 101, speed)).toEqual({ outcome: 'refused', status: 'not written: not armed (the arming expired at 1970-01-01T00:17:40.000Z)' });
    expect(changes.map((c) => [c.armed, c.reason])).toEqual([[true, undefined], [false, 'the arming expired at 1970-01-01T00:17:40.000Z']]);

    gate.arm(WRITABLE, 10);
    expect(gate.disarm('kill switch')).toMatchObject({ armed: false, reason: 'kill switch' });
    expect(await write('speed', 101, speed)).toEqual({ outcome: 'refused', status: 'not written: not armed (kill switch)' });
    expect(speed.writes).toBe(0);
  });

  it('refuses a write decided before the kill switch if the switch came while the device answered', async () => {
    const now = { t: 1_000_000 };
    const { gate } = setup('live-armed', now);
    const speed = new Register(100);
    gate.arm(WRITABLE, 10);
    const io = speed.io(120);
    const slowRead: DeviceWriteIo = { ...io, read: async () => (gate.disarm('kill switch'), io.read()) };
    const result = await gate.write({ pipeline: 'p', node: 'w', device: 'plc', tag: 'speed', value: 120, sample: { path: 'x', value: 120, quality: 'good', ts: 0 } }, slowRead);
    expect(result).toEqual({ outcome: 'refused', status: 'not written: not armed (kill switch)', oldValue: 100 });
    expect(speed.writes).toBe(0);
  });

  it('only a live-armed run can be armed; simulated writes within the interlocks without arming', async () => {
    const now = { t: 1_000_000 };
    const { gate, write, rows } = setup('simulated', now);
    expect(() => gate.arm(WRITABLE, 5)).toThrow('only a live-armed run can be armed; this run is simulated');
    const speed = new Register(100);
    expect(await write('speed', 120, speed)).toMatchObject({ outcome: 'written' });
    expect(await write('speed', 9000, speed)).toMatchObject({ outcome: 'refused' });
    expect(rows().map((r) => [r.mode, r.result])).toEqual([['simulated', 'written'], ['simulated', 'refused']]);
  });

  it('disarms when the audit log cannot be written', async () => {
    const now = { t: 1_000_000 };
    const { gate, write } = setup('live-armed', now);
    gate.arm(WRITABLE, 5);
    db.close();
    const speed = new Register(100);
    await write('speed', 110, speed);
    expect(gate.state()).toMatchObject({ armed: false, reason: expect.stringMatching(/^the audit log cannot be written: /) });
    expect(await write('speed', 111, speed)).toMatchObject({ outcome: 'refused' });
    db = openWorkspaceDb(join(dir, 'workspace.db'));
  });
});
