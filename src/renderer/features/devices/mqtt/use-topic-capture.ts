import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { filterTopicTree, mqttCaptureResult, type MqttCaptureCallInput, type MqttCaptureResult, type MqttTopicNode } from '../../../../shared/discovery/mqtt.ts';
import { useLongCall, type LongCall } from '../../../lib/use-long-call.ts';
import { errorText, hostClient } from '../../../state/actions.ts';
import { MessageHistory } from './payload.ts';
import { autoExpand, branchesToPoll, ChangeTracker, flattenTree, parentsOf, type TopicListing, type TopicRow } from './topic-rows.ts';

// A live topic capture of one broker: discovery.mqtt.start, then discovery.mqtt.tree polled a few
// times a second for the branches in view only (one level each, plus the selected topic with its
// kept payloads), with the connection state and warnings, and
// discovery.mqtt.stop on Stop and on unmount. After a stop (or from the workspace cache when the
// panel opens) the whole captured tree stays browsable offline.

/** Polls per second while the tab is visible: the host computes msg/s once a second anyway. */
const POLL_MS = 250;

export interface CaptureView {
  /** A capture is running on the host. */
  readonly live: boolean;
  readonly connect: LongCall<{ captureId: string }>;
  readonly stopping: boolean;
  readonly error?: string;
  readonly rows: readonly TopicRow[];
  /** The whole tree at the root: totals, msg/s. */
  readonly root?: MqttTopicNode;
  readonly messages: number;
  readonly topics: number;
  /** Live only: false while the host has lost the broker (it reconnects by itself). */
  readonly connected?: boolean;
  /** The live capture's warnings, or the finished one's. */
  readonly warnings: readonly string[];
  /** The capture shown is a finished one: when it was taken, and its warnings. */
  readonly finished?: { takenAt: number; result: MqttCaptureResult; cached: boolean };
  readonly selected?: MqttTopicNode;
  readonly selectedPath?: string;
  /** Messages of the selected topic seen while it was selected (bounded). */
  readonly history: MessageHistory;
  readonly changes: ChangeTracker;
  start(request: MqttCaptureCallInput): Promise<void>;
  stop(): Promise<void>;
  toggle(path: string): void;
  select(path: string | undefined): void;
}

/** The broker url without user:password@, as the host names captures in its cache. */
const displayUrl = (url: string): string => url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1');

const stripped = (n: MqttTopicNode): MqttTopicNode => {
  const { children: _children, ...rest } = n;
  return rest;
};

function findNode(root: MqttTopicNode, path: string): MqttTopicNode | undefined {
  if (path === '') return root;
  let node: MqttTopicNode | undefined = root;
  for (const part of path.split('/')) node = node?.children?.find((c) => c.name === part);
  return node;
}

/** Listings of a finished capture's tree, for the branches in view. */
function localListings(tree: MqttTopicNode, expanded: ReadonlySet<string>): Map<string, TopicListing> {
  const listings = new Map<string, TopicListing>();
  const walk = (node: MqttTopicNode): void => {
    listings.set(node.path, (node.children ?? []).map(stripped));
    for (const c of node.children ?? []) if (expanded.has(c.path)) walk(c);
  };
  walk(tree);
  return listings;
}

export function useTopicCapture(url: string, search: string): CaptureView {
  const connect = useLongCall<{ captureId: string }>();
  const [captureId, setCaptureId] = useState<string>();
  const [stopping, setStopping] = useState(false);
  const [error, setError] = useState<string>();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const [closedByUser, setClosedByUser] = useState<ReadonlySet<string>>(() => new Set());
  const [selectedPath, setSelectedPath] = useState<string>();
  const [finished, setFinished] = useState<CaptureView['finished']>();
  // What the last poll brought (live only).
  const [polled, setPolled] = useState<{
    listings: Map<string, TopicListing>;
    root?: MqttTopicNode;
    selected?: MqttTopicNode;
    messages: number;
    topics: number;
    connected: boolean;
    warnings: readonly string[];
  }>();
  const changes = useMemo(() => new ChangeTracker(), []);
  const history = useMemo(() => new MessageHistory(), []);

  // The poll loop reads the latest choices through refs, so it is not restarted by each click.
  const state = useRef({ expanded, search, selectedPath, rows: [] as readonly TopicRow[], captureId, mounted: true });
  state.current.expanded = expanded;
  state.current.search = search;
  state.current.selectedPath = selectedPath;
  state.current.captureId = captureId;
  const kick = useRef<() => void>(() => {});

  const rows = useMemo(() => {
    if (polled) return flattenTree(polled.listings, expanded);
    if (!finished) return [];
    const shown = search ? filterTopicTree(finished.result.tree, { search }) : finished.result.tree;
    return shown ? flattenTree(localListings(shown, expanded), expanded) : [];
  }, [polled, finished, expanded, search]);
  state.current.rows = rows;

  // A search opens the branches that lead to matches (a level per poll), unless the user closed
  // them; clearing it brings back the branches that were open before.
  const beforeSearch = useRef<ReadonlySet<string> | undefined>(undefined);
  useEffect(() => {
    if (search && !beforeSearch.current) beforeSearch.current = state.current.expanded;
    if (!search && beforeSearch.current) {
      const sel = state.current.selectedPath;
      setExpanded(new Set([...beforeSearch.current, ...(sel ? parentsOf(sel) : [])]));
      setClosedByUser(new Set());
      beforeSearch.current = undefined;
    }
  }, [search]);
  useEffect(() => {
    if (!search) return;
    const next = autoExpand(rows, expanded, closedByUser);
    if (next) setExpanded(next);
  }, [rows, search, expanded, closedByUser]);

  useEffect(() => {
    if (!captureId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let busy = false;
    const client = hostClient();
    const poll = async (): Promise<void> => {
      timer = undefined;
      if (busy || stopped) return;
      if (document.hidden) {
        timer = setTimeout(() => void poll(), POLL_MS);
        return;
      }
      busy = true;
      const { search: needle, selectedPath: sel } = state.current;
      const branches = branchesToPoll(state.current.rows);
      try {
        const [answers, selected] = await Promise.all([
          Promise.all(branches.map((b) => client.call('discovery.mqtt.tree', { captureId, query: { ...(b ? { under: b } : {}), depth: 1, ...(needle ? { search: needle } : {}) } }))),
          sel === undefined ? undefined : client.call('discovery.mqtt.tree', { captureId, query: { under: sel, depth: 0, payloads: true } }),
        ]);
        if (stopped) return;
        const listings = new Map<string, TopicListing>();
        branches.forEach((b, i) => {
          const tree = answers[i]?.tree;
          if (tree) listings.set(b, tree.children ?? []);
        });
        const selectedNode = selected?.tree ?? undefined;
        changes.update([...listings.values()].flat());
        if (selectedNode) history.add(selectedNode.previous, selectedNode.last);
        const totals = answers[0]!;
        const { messages, topics, connected, warnings } = totals;
        setPolled({ listings, root: totals.tree ? stripped(totals.tree) : undefined, selected: selectedNode, messages, topics, connected, warnings });
        setError(undefined);
      } catch (err) {
        if (stopped) return;
        setError(errorText(err));
        // The host forgot the capture (it restarted): nothing left to poll.
        if (/no capture/.test(errorText(err))) {
          stopped = true;
          setCaptureId(undefined);
        }
      } finally {
        busy = false;
        if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
      }
    };
    kick.current = () => {
      if (timer !== undefined && !busy) {
        clearTimeout(timer);
        void poll();
      }
    };
    void poll();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      kick.current = () => {};
    };
  }, [captureId, changes, history]);

  // Closing the panel stops the capture on the host.
  useEffect(() => {
    const s = state.current;
    s.mounted = true;
    return () => {
      s.mounted = false;
      const id = s.captureId;
      if (id) void hostClient().call('discovery.mqtt.stop', { captureId: id }).catch(() => {});
    };
  }, []);

  // The last capture of this broker from the workspace cache, while nothing runs.
  useEffect(() => {
    let cancelled = false;
    hostClient()
      .call('discovery.last', { kind: 'mqtt.capture', target: displayUrl(url) })
      .then((hit) => {
        if (cancelled || !hit || state.current.captureId) return;
        const parsed = mqttCaptureResult.safeParse(hit.result);
        if (parsed.success) setFinished((f) => f ?? { takenAt: hit.takenAt, result: parsed.data, cached: true });
      })
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [url]);

  const start = useCallback(
    async (request: MqttCaptureCallInput) => {
      setError(undefined);
      const started = await connect.run(({ signal }) => hostClient().call('discovery.mqtt.start', request, { signal }));
      if (!started) return;
      if (!state.current.mounted) {
        void hostClient().call('discovery.mqtt.stop', { captureId: started.captureId }).catch(() => {});
        return;
      }
      setFinished(undefined);
      setPolled(undefined);
      history.clear();
      setCaptureId(started.captureId);
    },
    [connect, history],
  );

  const stop = useCallback(async () => {
    const id = state.current.captureId;
    if (!id) return;
    setCaptureId(undefined);
    setStopping(true);
    try {
      const result = await hostClient().call('discovery.mqtt.stop', { captureId: id });
      setFinished({ takenAt: Date.now(), result, cached: false });
      setPolled(undefined);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setStopping(false);
    }
  }, []);

  const toggle = useCallback((path: string) => {
    const open = state.current.expanded.has(path);
    setExpanded((old) => {
      const next = new Set(old);
      if (open) for (const p of old) if (p === path || p.startsWith(`${path}/`)) next.delete(p);
      if (!open) next.add(path);
      return next;
    });
    setClosedByUser((old) => {
      const next = new Set(old);
      if (open) next.add(path);
      else next.delete(path);
      return next;
    });
    // Fetch the opened branch now rather than at the next tick.
    if (!open) setTimeout(() => kick.current(), 0);
  }, []);

  const select = useCallback(
    (path: string | undefined) => {
      if (path === state.current.selectedPath) return;
      history.clear();
      setSelectedPath(path);
      if (path !== undefined) setExpanded((old) => (parentsOf(path).every((p) => old.has(p)) ? old : new Set([...old, ...parentsOf(path)])));
      setTimeout(() => kick.current(), 0);
    },
    [history],
  );

  let selected: MqttTopicNode | undefined;
  if (selectedPath !== undefined) {
    // Until the next poll brings the selected topic alone, its row's node stands in.
    if (polled) selected = polled.selected?.path === selectedPath ? polled.selected : rows.find((r) => r.path === selectedPath)?.node;
    else if (finished) {
      const node = findNode(finished.result.tree, selectedPath);
      selected = node ? stripped(node) : undefined;
    }
  }
  const finishedRoot = finished ? stripped(finished.result.tree) : undefined;
  return {
    live: captureId !== undefined,
    connect,
    stopping,
    ...(error ? { error } : {}),
    rows,
    ...(polled?.root ?? finishedRoot ? { root: polled?.root ?? finishedRoot } : {}),
    messages: polled?.messages ?? finished?.result.totals.messages ?? 0,
    topics: polled?.topics ?? finished?.result.totals.topics ?? 0,
    ...(polled ? { connected: polled.connected } : {}),
    warnings: polled?.warnings ?? finished?.result.warnings ?? [],
    ...(finished && !polled ? { finished } : {}),
    ...(selected ? { selected } : {}),
    ...(selectedPath !== undefined ? { selectedPath } : {}),
    history,
    changes,
    start,
    stop,
    toggle,
    select,
  };
}
