import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, OutboxFullError } from '../../../src/store/outbox.ts';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));
const msg = (i: number) => ({ topic: `t/${i % 3}`, payload: Buffer.from(String(i)) });
const values = (box: Outbox, sink: string) => box.peek(sink, 1000).map((e) => Number(e.payload.toString()));

describe('outbox', () => {
  it('keeps order per sink and deletes only what was acknowledged', () => {
    const box = new Outbox(':memory:', { maxEntries: 100, maxAgeMs: 0, whenFull: 'refuse' });
    box.append('a', [msg(1), msg(2), msg(3)]);
    box.append('b', [msg(10)]);
    box.append('a', [msg(4)]);
    expect(values(box, 'a')).toEqual([1, 2, 3, 4]);
    const [first, second] = box.peek('a', 2);
    box.ack('a', second!.id);
    expect(first!.id).toBeLessThan(second!.id);
    expect(values(box, 'a')).toEqual([3, 4]);
    expect(values(box, 'b')).toEqual([10]);
    expect(box.stats('a')).toMatchObject({ queued: 2, dropped: 0 });
    box.close();
  });

  it('drops the oldest when full, counted, if the sink says so', () => {
    const box = new Outbox(':memory:', { maxEntries: 3, maxAgeMs: 0, whenFull: 'drop-oldest' });
    box.append('a', [msg(1), msg(2)]);
    box.append('a', [msg(3), msg(4)]);
    expect(values(box, 'a')).toEqual([2, 3, 4]);
    box.append('a', [msg(5), msg(6), msg(7), msg(8)]);
    expect(values(box, 'a')).toEqual([6, 7, 8]);
    expect(box.stats('a').dropped).toBe(5);
    box.close();
  });

  it('refuses a batch that does not fit, writing none of it', () => {
    const box = new Outbox(':memory:', { maxEntries: 3, maxAgeMs: 0, whenFull: 'refuse' });
    box.append('a', [msg(1), msg(2)]);
    expect(() => box.append('a', [msg(3), msg(4)])).toThrow(OutboxFullError);
    expect(values(box, 'a')).toEqual([1, 2]);
    box.close();
  });

  it('drops entries past the age limit, counted', () => {
    const box = new Outbox(':memory:', { maxEntries: 100, maxAgeMs: 1000, whenFull: 'refuse' });
    box.append('a', [msg(1)], 0);
    box.append('a', [msg(2)], 900);
    box.append('a', [msg(3)], 1500);
    expect(values(box, 'a')).toEqual([2, 3]);
    expect(box.stats('a')).toMatchObject({ dropped: 1, oldestAt: 900 });
    box.close();
  });

  it('keeps what was appended when the process is killed', () => {
    dir = mkdtempSync(join(tmpdir(), 'plantbench-outbox-'));
    const file = join(dir, 'outbox.db');
    const script = `
      const { Outbox } = await import(${JSON.stringify(new URL('../../../src/store/outbox.ts', import.meta.url).pathname)});
      const box = new Outbox(${JSON.stringify(file)}, { maxEntries: 1e6, maxAgeMs: 0, whenFull: 'refuse' });
      for (let i = 0; i < 50; i++) box.append('a', [{ topic: 't', payload: Buffer.from(String(i)) }]);
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script]);
    expect(child.signal).toBe('SIGKILL');
    const box = new Outbox(file, { maxEntries: 1e6, maxAgeMs: 0, whenFull: 'refuse' });
    expect(values(box, 'a')).toEqual(Array.from({ length: 50 }, (_, i) => i));
    box.close();
  });
});
