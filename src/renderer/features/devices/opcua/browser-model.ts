// The state of one OPC UA browser (one device, one security setting) and what changes it: lazy
// browse one level per expand with "more…" (BrowseNext), the values of browsed variables, the
// selection, GoTo, and the server certificate decision. The host keeps the session; every call
// here names the target (and the device whose identity it signs in with). A call refused for an untrusted certificate opens the trust prompt.
import {
  opcuaUntrustedCertificate,
  type OpcuaBrowseResult,
  type OpcuaGotoResult,
  type OpcuaNodeAttributes,
  type OpcuaReferencesResult,
  type OpcuaUntrustedCertificate,
} from '../../../../shared/discovery/opcua.ts';
import { RpcError } from '../../../../shared/rpc/wire.ts';
import { createStore, type Store } from '../../../lib/store.ts';
import { errorText, hostClient, notify } from '../../../state/actions.ts';
import type { BrowseSession } from './target.ts';
import { flattenTree, keysOfChain, nodeIdOfKey, OBJECTS, PAGE_SIZE, type NodeChildren, type TreeRow } from './tree-model.ts';

/** Server_NamespaceArray: the table that turns ns=<index> into a URI for imported tags. */
const NAMESPACE_ARRAY = 'i=2255';
/** Values read at once when refreshing the variables in view. */
const MAX_VALUE_READS = 2000;
const VALUE_CHUNK = 500;
/** GoTo pages through a large folder at most this far to find the next node of the path. */
const MAX_GOTO_PAGES = 50;

export type TrustState = 'none' | 'asking' | 'rejected';

export interface BrowserState {
  readonly children: ReadonlyMap<string, NodeChildren>;
  readonly expanded: ReadonlySet<string>;
  /** Attributes of browsed variables (value, EU, range), by node id. */
  readonly values: ReadonlyMap<string, OpcuaNodeAttributes>;
  readonly selected: ReadonlySet<string>;
  /** The focused row (keyboard, attributes pane). */
  readonly focus?: string;
  /** The node the attributes pane shows: the focused row's, or one GoTo found outside Objects. */
  readonly inspect?: string;
  readonly namespaces: readonly string[];
  readonly untrusted?: OpcuaUntrustedCertificate;
  readonly trust: TrustState;
}

const INITIAL: BrowserState = { children: new Map(), expanded: new Set(), values: new Map(), selected: new Set(), namespaces: [], trust: 'none' };

export class OpcuaBrowserModel {
  readonly store: Store<BrowserState> = createStore(INITIAL);
  readonly session: BrowseSession;
  private readonly inflight = new Map<string, Promise<void>>();
  private disposed = false;
  private rows: { children: BrowserState['children']; expanded: BrowserState['expanded']; rows: TreeRow[] } | undefined;

  constructor(session: BrowseSession) {
    this.session = session;
  }

  get state(): BrowserState {
    return this.store.get();
  }

  private update(patch: Partial<BrowserState> | ((s: BrowserState) => Partial<BrowserState>)): void {
    if (this.disposed) return;
    this.store.set((s) => ({ ...s, ...(typeof patch === 'function' ? patch(s) : patch) }));
  }

  private setChildren(nodeId: string, c: NodeChildren): void {
    this.update((s) => ({ children: new Map(s.children).set(nodeId, c) }));
  }

  /** The rows to draw (memoised on the children and expanded sets). */
  flatRows(): TreeRow[] {
    const { children, expanded } = this.state;
    if (this.rows?.children !== children || this.rows.expanded !== expanded) this.rows = { children, expanded, rows: flattenTree(children, expanded) };
    return this.rows.rows;
  }

  dispose(): void {
    this.disposed = true;
  }

  // ---------- host calls ----------

  /** Runs a call; when the server certificate is not trusted, the prompt opens (once per certificate until the user decides). */
  private async guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (err) {
      const detail = err instanceof RpcError ? opcuaUntrustedCertificate.safeParse(err.detail) : undefined;
      if (detail?.success) {
        const known = this.state.untrusted?.thumbprint === detail.data.thumbprint && this.state.trust === 'rejected';
        if (!known) this.update({ untrusted: detail.data, trust: 'asking' });
      }
      throw err;
    }
  }

  browse(nodeId: string, continuation?: string): Promise<OpcuaBrowseResult> {
    return this.guard(hostClient().call('discovery.opcua.browse', { ...this.session, nodeId, maxReferences: PAGE_SIZE, ...(continuation ? { continuation } : {}) }));
  }

  attributes(nodeIds: string[]): Promise<OpcuaNodeAttributes[]> {
    return this.guard(hostClient().call('discovery.opcua.attributes', { ...this.session, nodeIds })).then((r) => r.nodes);
  }

  references(nodeId: string): Promise<OpcuaReferencesResult> {
    return this.guard(hostClient().call('discovery.opcua.references', { ...this.session, nodeId }));
  }

  private goto(to: string): Promise<OpcuaGotoResult> {
    return this.guard(hostClient().call('discovery.opcua.goto', { ...this.session, to }));
  }

  // ---------- the tree ----------

  /** Browses Objects (and reads the namespace table for imports). */
  start(): void {
    void this.loadChildren(OBJECTS).catch(() => undefined);
    void this.attributes([NAMESPACE_ARRAY]).then(
      ([ns]) => Array.isArray(ns?.value?.value) && this.update({ namespaces: (ns.value.value as unknown[]).map(String) }),
      () => undefined,
    );
  }

  /** Browses a node's first page, or with `more` its next page; concurrent calls for one node share the request. */
  loadChildren(nodeId: string, more = false): Promise<void> {
    const running = this.inflight.get(nodeId);
    if (running) return running;
    const before = this.state.children.get(nodeId);
    const continuation = more ? before?.continuation : undefined;
    if (more && !continuation) return Promise.resolve();
    this.setChildren(nodeId, { refs: more ? (before?.refs ?? []) : [], ...(continuation ? { continuation } : {}), loading: true });
    const done = this.browse(nodeId, continuation)
      .then((r) => {
        const refs = more ? [...(before?.refs ?? []), ...r.references] : r.references;
        this.setChildren(nodeId, { refs, ...(r.continuation ? { continuation: r.continuation } : {}), loading: false });
        void this.loadValues(r.references.filter((x) => x.nodeClass === 'Variable').map((x) => x.nodeId));
      })
      .catch((err: unknown) => {
        this.setChildren(nodeId, { refs: more ? (before?.refs ?? []) : [], loading: false, error: errorText(err) });
        throw err;
      })
      .finally(() => this.inflight.delete(nodeId));
    this.inflight.set(nodeId, done);
    return done;
  }

  /** Loads a node's children unless they are there (or loading). */
  async ensureChildren(nodeId: string): Promise<void> {
    const c = this.state.children.get(nodeId);
    if (c && !c.error && !c.loading) return;
    await this.loadChildren(nodeId);
  }

  /** Reads value, EU and range of variables (in chunks); failures leave the values out. */
  async loadValues(nodeIds: readonly string[]): Promise<void> {
    for (let i = 0; i < nodeIds.length && !this.disposed; i += VALUE_CHUNK) {
      let nodes: OpcuaNodeAttributes[];
      try {
        nodes = await this.attributes(nodeIds.slice(i, i + VALUE_CHUNK));
      } catch {
        return;
      }
      this.update((s) => {
        const values = new Map(s.values);
        for (const n of nodes) values.set(n.nodeId, n);
        return { values };
      });
    }
  }

  /** Reads again the values of the variables in the expanded part of the tree. */
  refreshValues(): Promise<void> {
    const ids = new Set<string>();
    for (const row of this.flatRows()) if (row.type === 'node' && row.ref.nodeClass === 'Variable') ids.add(row.ref.nodeId);
    return this.loadValues([...ids].slice(0, MAX_VALUE_READS));
  }

  toggle(key: string, open?: boolean): void {
    const isOpen = this.state.expanded.has(key);
    const want = open ?? !isOpen;
    if (want === isOpen) return;
    this.update((s) => {
      const expanded = new Set(s.expanded);
      if (want) expanded.add(key);
      else expanded.delete(key);
      return { expanded };
    });
    if (want) void this.ensureChildren(nodeIdOfKey(key)).catch(() => undefined);
  }

  more(nodeId: string): void {
    void this.loadChildren(nodeId, true).catch(() => undefined);
  }

  // ---------- selection ----------

  focusRow(key: string): void {
    this.update({ focus: key, inspect: nodeIdOfKey(key) });
  }

  /** Click: only this row; ctrl/meta: add or remove it; shift: the range from the focused row. */
  select(key: string, how: 'only' | 'toggle' | 'range' = 'only'): void {
    const s = this.state;
    let selected: Set<string>;
    if (how === 'toggle') {
      selected = new Set(s.selected);
      if (selected.has(key)) selected.delete(key);
      else selected.add(key);
    } else if (how === 'range' && s.focus) {
      const keys = this.flatRows().filter((r) => r.type === 'node').map((r) => r.key);
      const [a, b] = [keys.indexOf(s.focus), keys.indexOf(key)].sort((x, y) => x - y) as [number, number];
      selected = new Set(a < 0 ? [key] : keys.slice(a, b + 1));
    } else selected = new Set([key]);
    this.update({ selected, focus: key, inspect: nodeIdOfKey(key) });
  }

  clearSelection(): void {
    this.update({ selected: new Set() });
  }

  /** GoTo a node id (ns=…, nsu=…) or browse path: expands the tree down to it and selects it. */
  async reveal(to: string): Promise<void> {
    const found = await this.goto(to);
    const keys = keysOfChain(found.chain);
    if (!keys || keys.length === 0) {
      this.update({ inspect: found.node.nodeId, focus: undefined, selected: new Set() });
      notify(`${found.path || found.node.nodeId} is not below Objects: shown in the attributes pane only`);
      return;
    }
    const ids = [OBJECTS, ...keys.map(nodeIdOfKey)];
    for (let i = 0; i < keys.length; i++) {
      const parent = ids[i]!;
      await this.ensureChildren(parent);
      for (let page = 0; page < MAX_GOTO_PAGES; page++) {
        const c = this.state.children.get(parent);
        if (!c || c.refs.some((r) => r.nodeId === ids[i + 1]) || !c.continuation) break;
        await this.loadChildren(parent, true);
      }
      if (i < keys.length - 1) this.toggle(keys[i]!, true);
    }
    this.select(keys[keys.length - 1]!);
  }

  // ---------- server certificate ----------

  /** Trusts the server certificate (once: for this host process; always: the project's trusted list), then browses again. */
  async trust(scope: 'once' | 'always'): Promise<void> {
    const cert = this.state.untrusted;
    if (!cert) return;
    await hostClient().call('discovery.opcua.trust', { thumbprint: cert.thumbprint, scope });
    notify(scope === 'always' ? `Trusted ${cert.subject} for this project (pki/trusted)` : `Trusted ${cert.subject} until the host stops`, 'ok');
    this.inflight.clear();
    this.update({ ...INITIAL, namespaces: this.state.namespaces });
    this.start();
  }

  reject(): void {
    this.update({ trust: 'rejected' });
  }

  reopenPrompt(): void {
    if (this.state.untrusted) this.update({ trust: 'asking' });
  }
}
