// Measuring helpers the UI benchmarks add to the workbench page (page.addInitScript) before it
// loads, as `window.__pbBench`. They only observe: frame times (requestAnimationFrame deltas), long
// tasks (PerformanceObserver 'longtask'), when the canvas shows a pipeline's nodes, when a clicked
// node shows as selected, and what arrives on the RPC WebSocket (messages, bytes, samples). Plain
// JavaScript: it runs in the page, not in Node.
(() => {
  const now = () => performance.now();
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));

  // ---------- RPC traffic: counted from the WebSocket's own message events ----------
  // A substring scan per message (no second JSON.parse), so counting costs next to nothing.
  const traffic = { messages: 0, bytes: 0, samplesBatches: 0, samples: 0, omitted: 0, statsBatches: 0, firstSampleAt: undefined, lastSampleAt: undefined };
  const countOf = (text, needle) => {
    let n = 0;
    for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
    return n;
  };
  const onMessage = (e) => {
    if (typeof e.data !== 'string') return;
    const text = e.data;
    traffic.messages++;
    traffic.bytes += text.length;
    const head = text.slice(0, 80);
    if (head.includes('"event":"run.samples"')) {
      traffic.samplesBatches++;
      traffic.samples += countOf(text, '"sample":{');
      const omitted = /"omitted":(\d+)/.exec(text.slice(-40));
      if (omitted) traffic.omitted += Number(omitted[1]);
      traffic.firstSampleAt ??= now();
      traffic.lastSampleAt = now();
    } else if (head.includes('"event":"run.stats"')) traffic.statsBatches++;
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', onMessage);
    }
  };

  // ---------- long tasks ----------
  const longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // No longtask support: the list stays empty and the benchmark says so.
  }

  // ---------- frame times ----------
  let frames;
  const frameLoop = (t) => {
    if (!frames) return;
    if (frames.last !== undefined) frames.deltas.push(t - frames.last);
    frames.last = t;
    requestAnimationFrame(frameLoop);
  };

  // ---------- the canvas ----------
  const canvas = () => document.querySelector('[data-testid="canvas"] .react-flow');
  /**
   * Nodes drawn as DOM elements and how many of them are measured (React Flow hides a node until
   * it is), and how many the overview canvas of a zoomed-out big pipeline has drawn (its nodes'
   * elements are then out of layout, display: none, and not counted as drawn in the DOM).
   */
  const nodeCount = () => {
    const container = document.querySelector('.react-flow__nodes');
    const laidOut = container && getComputedStyle(container).display !== 'none';
    const nodes = laidOut ? document.querySelectorAll('.react-flow__node') : [];
    let shown = 0;
    for (const n of nodes) if (n.style.visibility !== 'hidden') shown++;
    const overview = document.querySelector('[data-testid="canvas-overview"]');
    return { inDom: nodes.length, shown, drawn: overview ? Number(overview.dataset.drawn ?? 0) : 0 };
  };
  /** Flow coordinates → page coordinates, from React Flow's viewport transform. */
  const toScreen = (p) => {
    const m = /translate\(([-\d.e]+)px, ?([-\d.e]+)px\) scale\(([-\d.e]+)\)/.exec(document.querySelector('.react-flow__viewport').style.transform);
    const box = canvas().getBoundingClientRect();
    const [tx, ty, zoom] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 1];
    return { x: box.left + tx + p.x * zoom, y: box.top + ty + p.y * zoom };
  };

  let open;

  window.__pbBench = {
    now,
    traffic: () => ({ ...traffic }),
    longTasks: (since = 0) => longTasks.filter((t) => t.start >= since),
    startFrames() {
      frames = { deltas: [], last: undefined, startedAt: now() };
      requestAnimationFrame(frameLoop);
    },
    stopFrames() {
      const f = frames;
      frames = undefined;
      return { deltas: f ? f.deltas : [], ms: f ? now() - f.startedAt : 0 };
    },
    nodeCount,

    /**
     * Arms the open measurement: t0 is the next click anywhere in the page (the click on the
     * pipeline's name); `rendered` resolves at the first animation frame in which the canvas holds
     * `expected` nodes, all measured and visible, or its overview has drawn them all.
     */
    armOpen(expected) {
      const state = { t0: undefined, tRendered: undefined, frames: 0 };
      let done;
      state.rendered = new Promise((resolve) => (done = resolve));
      const onClick = (e) => {
        window.removeEventListener('click', onClick, true);
        state.t0 = e.timeStamp;
        const poll = async () => {
          for (;;) {
            await nextFrame();
            const t = now();
            state.frames++;
            const c = nodeCount();
            if ((c.inDom >= expected && c.shown >= expected) || c.drawn >= expected) {
              state.tRendered = t;
              done({ t0: state.t0, tRendered: t, frames: state.frames, nodes: Math.max(c.inDom, c.drawn) });
              return;
            }
          }
        };
        void poll();
      };
      window.addEventListener('click', onClick, true);
      open = state;
    },
    rendered: () => open.rendered,

    /**
     * A node near the middle of the canvas that a click would really hit (not covered by the
     * minimap or the controls), and where to click it: its title bar. Arms the response measurement.
     * In the overview (no node in the DOM) it picks from `drawn`: [id, flow x, flow y] of points
     * inside the nodes as the benchmark placed them, and the click must land on the pane there
     * (the overview selects the node under a pane click); selected means the inspector shows it.
     */
    pickNode(drawn = []) {
      const box = canvas().getBoundingClientRect();
      const cx = box.left + box.width / 2;
      const cy = box.top + box.height / 2;
      const candidates = [];
      const inBox = (x, y) => x >= box.left && x <= box.right && y >= box.top && y <= box.bottom;
      const overview = nodeCount().inDom === 0;
      if (overview) {
        const pane = document.querySelector('.react-flow__pane');
        for (const [id, fx, fy] of drawn) {
          const { x, y } = toScreen({ x: fx, y: fy });
          if (inBox(x, y)) candidates.push({ d: (x - cx) ** 2 + (y - cy) ** 2, id, x, y, el: pane });
        }
      } else {
        for (const n of document.querySelectorAll('.react-flow__node')) {
          const head = n.querySelector('.pb-node__head') ?? n;
          const r = head.getBoundingClientRect();
          const x = r.left + r.width / 2;
          const y = r.top + r.height / 2;
          if (inBox(x, y)) candidates.push({ d: (x - cx) ** 2 + (y - cy) ** 2, id: n.dataset.id, x, y, el: n });
        }
      }
      candidates.sort((a, b) => a.d - b.d);
      // Hit-testing is slow on a big canvas: try the nearest first.
      const best = candidates.find((c) => {
        const hit = document.elementFromPoint(c.x, c.y);
        return hit && (overview ? hit === c.el : c.el.contains(hit));
      });
      const isSelected = overview ? () => !!document.querySelector(`[data-testid="inspector"][data-node="${best.id}"]`) : () => best.el.classList.contains('selected');
      if (!best) return undefined;
      const state = {};
      state.selected = new Promise((resolve) => {
        const onDown = (e) => {
          window.removeEventListener('pointerdown', onDown, true);
          const tInput = e.timeStamp;
          const poll = async () => {
            for (;;) {
              await nextFrame();
              if (isSelected()) return resolve({ tInput, tResponse: now() });
            }
          };
          void poll();
        };
        window.addEventListener('pointerdown', onDown, true);
      });
      open.selected = state.selected;
      return { id: best.id, x: best.x, y: best.y };
    },
    selected: () => open.selected,

    /** A point of the canvas where a press lands on the empty pane (so dragging pans), or undefined. */
    panePoint() {
      const box = canvas().getBoundingClientRect();
      const pane = document.querySelector('.react-flow__pane');
      const cx = box.left + box.width / 2;
      const cy = box.top + box.height / 2;
      const candidates = [];
      for (let y = box.top + 40; y < box.bottom - 40; y += 5) {
        for (let x = box.left + 40; x < box.right - 40; x += 5) candidates.push({ x, y, d: (x - cx) ** 2 + (y - cy) ** 2 });
      }
      candidates.sort((a, b) => a.d - b.d);
      // Hit-testing is slow on a big canvas: nearest first, and a bounded number of tries.
      const step = Math.max(1, Math.floor(candidates.length / 400));
      for (let i = 0; i < candidates.length; i += step) {
        const c = candidates[i];
        if (document.elementFromPoint(c.x, c.y) === pane) return { x: c.x, y: c.y, box: { left: box.left, top: box.top, width: box.width, height: box.height } };
      }
      return undefined;
    },
    viewport() {
      const v = document.querySelector('.react-flow__viewport');
      return v ? v.style.transform : '';
    },
    nextFrame,
  };
})();
