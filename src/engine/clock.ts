// Run clocks. Nodes take time only from their clock, so a pipeline runs the same on the real
// clock and on a virtual one (which makes `plantbench test` deterministic).

export interface Disposable {
  dispose(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Disposable;
  setInterval(fn: () => void, ms: number): Disposable;
}

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): Disposable {
    const handle = setTimeout(fn, ms);
    return { dispose: () => clearTimeout(handle) };
  }
  setInterval(fn: () => void, ms: number): Disposable {
    const handle = setInterval(fn, ms);
    return { dispose: () => clearInterval(handle) };
  }
}

interface VirtualTimer {
  due: number;
  seq: number;
  fn: () => void;
  interval?: number;
}

/** Time moves only when told to; timers fire in due order, ties in creation order. */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Disposable {
    return this.add({ due: this.current + Math.max(0, ms), seq: this.seq++, fn });
  }

  setInterval(fn: () => void, ms: number): Disposable {
    const interval = Math.max(1, ms);
    return this.add({ due: this.current + interval, seq: this.seq++, fn, interval });
  }

  /** Timers not yet fired or disposed. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward to `target`, firing due timers in order. After each timer, `settle`
   * lets the work it started finish before time moves on.
   */
  async advanceTo(target: number, settle: () => Promise<void> = async () => {}): Promise<void> {
    for (;;) {
      const next = this.timers[0];
      if (!next || next.due > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.due);
      if (next.interval !== undefined) {
        next.due += next.interval;
        next.seq = this.seq++;
        this.insert(next);
      }
      next.fn();
      await settle();
    }
    this.current = Math.max(this.current, target);
  }

  private add(timer: VirtualTimer): Disposable {
    this.insert(timer);
    return {
      dispose: () => {
        const i = this.timers.indexOf(timer);
        if (i >= 0) this.timers.splice(i, 1);
      },
    };
  }

  private insert(timer: VirtualTimer): void {
    let i = this.timers.length;
    while (i > 0 && (this.timers[i - 1]!.due > timer.due || (this.timers[i - 1]!.due === timer.due && this.timers[i - 1]!.seq > timer.seq))) i--;
    this.timers.splice(i, 0, timer);
  }
}
