import type { z } from 'zod';

// The building blocks of the RPC contract between the renderer and the host: named methods with
// zod schemas for request and response, and named events with a payload schema. The contract
// (contract.ts) is data, so the host can validate every request and tests can list the surface.

export interface MethodDef<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly summary: string;
  readonly request: Req;
  readonly response: Res;
  /** The method reports progress events while it runs (and can be cancelled). */
  readonly progress?: boolean;
}

export interface EventDef<P extends z.ZodType = z.ZodType> {
  readonly summary: string;
  readonly payload: P;
}

export function method<Req extends z.ZodType, Res extends z.ZodType>(def: MethodDef<Req, Res>): MethodDef<Req, Res> {
  return def;
}

export function event<P extends z.ZodType>(def: EventDef<P>): EventDef<P> {
  return def;
}

export type MethodMap = Record<string, MethodDef>;
export type EventMap = Record<string, EventDef>;

/** What a caller passes (defaults may be left out). */
export type RequestOf<M extends MethodMap, K extends keyof M> = z.input<M[K]['request']>;
/** What a handler receives, after validation and defaults. */
export type ParsedRequestOf<M extends MethodMap, K extends keyof M> = z.output<M[K]['request']>;
export type ResponseOf<M extends MethodMap, K extends keyof M> = z.output<M[K]['response']>;
export type PayloadOf<E extends EventMap, K extends keyof E> = z.output<E[K]['payload']>;
