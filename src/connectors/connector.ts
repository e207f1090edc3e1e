import type { NodeKind } from '../engine/node-kind.ts';
import type { StoreAndForward } from './store-and-forward.ts';

/** What every protocol connector gets from whoever composes a run (CLI, host, gateway). */
export interface ConnectorEnv {
  /** The project's `.plantbench` folder: PKI, trust decisions, caches. */
  readonly dataDir: string;
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /**
   * MQTT sinks publish under this topic prefix instead of the real UNS (a live read-only run that
   * asks for a sandbox); Sparkplug sinks put it before their group id. Unset: as configured.
   */
  readonly mqttSandbox?: string;
  /**
   * The run's disk outbox: MQTT sinks queue every message in it and delete it once the broker has
   * it (docs/store-and-forward.md). Unset: sinks publish directly (the workbench's runs).
   */
  readonly storeAndForward?: StoreAndForward;
}

/**
 * A protocol connector: the node kinds it evaluates, sharing one connection per device between
 * all nodes and pipelines of a run. dispose() closes every connection it opened.
 */
export interface Connector {
  readonly kinds: readonly NodeKind<never>[];
  dispose(): Promise<void>;
}
