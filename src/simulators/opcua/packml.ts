// A PackML-like state machine (ISA-TR88.00.02 state and PackTags command numbering) for simulated
// machines. Pure logic: the caller supplies the timer, so tests drive it without a server.

/** PackTags StateCurrent codes. */
export const PACKML_STATES = {
  Clearing: 1,
  Stopped: 2,
  Starting: 3,
  Idle: 4,
  Suspended: 5,
  Execute: 6,
  Stopping: 7,
  Aborting: 8,
  Aborted: 9,
  Holding: 10,
  Held: 11,
  Unholding: 12,
  Suspending: 13,
  Unsuspending: 14,
  Resetting: 15,
  Completing: 16,
  Complete: 17,
} as const;
export type PackmlStateName = keyof typeof PACKML_STATES;

/** PackTags CntrlCmd codes. */
export const PACKML_COMMANDS = {
  Reset: 1,
  Start: 2,
  Stop: 3,
  Hold: 4,
  Unhold: 5,
  Suspend: 6,
  Unsuspend: 7,
  Abort: 8,
  Clear: 9,
} as const;
export type PackmlCommandName = keyof typeof PACKML_COMMANDS;

const STATE_NAMES = new Map<number, PackmlStateName>(
  Object.entries(PACKML_STATES).map(([name, code]) => [code, name as PackmlStateName]),
);
const COMMAND_NAMES = new Map<number, PackmlCommandName>(
  Object.entries(PACKML_COMMANDS).map(([name, code]) => [code, name as PackmlCommandName]),
);

export function packmlStateName(code: number): PackmlStateName | undefined {
  return STATE_NAMES.get(code);
}

/** Acting (transitional) states and the wait state each one ends in. */
const ACTING: Partial<Record<PackmlStateName, PackmlStateName>> = {
  Clearing: 'Stopped',
  Starting: 'Execute',
  Stopping: 'Stopped',
  Aborting: 'Aborted',
  Holding: 'Held',
  Unholding: 'Execute',
  Suspending: 'Suspended',
  Unsuspending: 'Execute',
  Resetting: 'Idle',
  Completing: 'Complete',
};

const STOPPABLE: readonly PackmlStateName[] = [
  'Idle', 'Starting', 'Execute', 'Completing', 'Complete', 'Resetting',
  'Holding', 'Held', 'Unholding', 'Suspending', 'Suspended', 'Unsuspending',
];

/** Command → the states it is accepted in, and the acting state it starts. */
const COMMANDS: Record<PackmlCommandName, { from: readonly PackmlStateName[]; to: PackmlStateName }> = {
  Reset: { from: ['Stopped', 'Complete'], to: 'Resetting' },
  Start: { from: ['Idle'], to: 'Starting' },
  Stop: { from: STOPPABLE, to: 'Stopping' },
  Hold: { from: ['Execute', 'Suspended'], to: 'Holding' },
  Unhold: { from: ['Held'], to: 'Unholding' },
  Suspend: { from: ['Execute'], to: 'Suspending' },
  Unsuspend: { from: ['Suspended'], to: 'Unsuspending' },
  Abort: { from: (Object.keys(PACKML_STATES) as PackmlStateName[]).filter((s) => s !== 'Aborting' && s !== 'Aborted'), to: 'Aborting' },
  Clear: { from: ['Aborted'], to: 'Clearing' },
};

export type CommandResult = 'accepted' | 'invalid-state' | 'unknown-command';

export interface PackmlOptions {
  /** How long an acting state (Starting, Stopping, ...) lasts before its wait state. */
  readonly transitionMs: number;
  /** Starts a timer; returns its cancel function. */
  readonly schedule: (fn: () => void, ms: number) => () => void;
  readonly onChange: (state: number) => void;
  readonly initial?: PackmlStateName;
}

export class PackmlMachine {
  private current: PackmlStateName;
  private cancelPending?: () => void;
  private readonly options: PackmlOptions;

  constructor(options: PackmlOptions) {
    this.options = options;
    this.current = options.initial ?? 'Execute';
  }

  get state(): number {
    return PACKML_STATES[this.current];
  }

  get stateName(): PackmlStateName {
    return this.current;
  }

  command(code: number): CommandResult {
    const name = COMMAND_NAMES.get(code);
    if (!name) return 'unknown-command';
    const rule = COMMANDS[name];
    if (!rule.from.includes(this.current)) return 'invalid-state';
    this.enter(rule.to);
    return 'accepted';
  }

  dispose(): void {
    this.cancelPending?.();
    this.cancelPending = undefined;
  }

  private enter(state: PackmlStateName): void {
    this.cancelPending?.();
    this.cancelPending = undefined;
    this.current = state;
    this.options.onChange(PACKML_STATES[state]);
    const next = ACTING[state];
    if (next) {
      this.cancelPending = this.options.schedule(() => {
        this.cancelPending = undefined;
        this.enter(next);
      }, this.options.transitionMs);
    }
  }
}
