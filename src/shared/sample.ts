// The unit of data in Plantbench: one tag value with its quality and timestamps.
// Samples are immutable; batches are shared between edges, never cloned.

export type Quality = 'good' | 'uncertain' | 'bad';

export type Value = number | string | boolean | null | readonly Value[] | { readonly [key: string]: Value };

export interface ProtocolStatus {
  /** Protocol status code (OPC UA StatusCode, Modbus exception code, ...). */
  readonly code: number;
  readonly text: string;
}

export interface EngineeringRange {
  readonly low: number;
  readonly high: number;
}

export interface SampleMeta {
  readonly unit?: string;
  readonly dataType?: string;
  readonly range?: EngineeringRange;
}

/** Why a sample went to a node's error port. */
export interface SampleError {
  readonly node: string;
  readonly message: string;
}

export interface Sample {
  /** Tag path or topic. */
  readonly path: string;
  readonly value: Value;
  readonly quality: Quality;
  readonly status?: ProtocolStatus;
  /** Source timestamp, epoch milliseconds (fractions allowed). */
  readonly ts: number;
  readonly serverTs?: number;
  readonly meta?: SampleMeta;
  /** Set only on samples emitted on an `error` port. */
  readonly error?: SampleError;
}

export type Batch = readonly Sample[];

const QUALITY_RANK: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

/** The worse of two qualities (bad beats uncertain beats good). */
export function worstQuality(a: Quality, b: Quality): Quality {
  return QUALITY_RANK[a] >= QUALITY_RANK[b] ? a : b;
}

export function isNumber(value: Value): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
