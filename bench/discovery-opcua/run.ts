// OPC UA discovery benchmark: crawl speed (nodes/s) over a generated 50,000-node address space,
// Plantbench's crawl against a plain node-opcua client doing the naive recursive browse.
//
//   node bench/discovery-opcua/run.ts              full run (≈50,000 nodes, 3 repetitions), appends to bench/RESULTS.md
//   node bench/discovery-opcua/run.ts --quick      ≈10,000 nodes, 1 repetition
//   node bench/discovery-opcua/run.ts --no-write   print only
//
// Method:
// - Server: the Plantbench OPC UA simulator in a child process (test/helpers/opcua-plant-server.ts)
//   with a generated plant (test/helpers/opcua-plant.ts): Plant/Area/Line/Machine folders, 40 variables per machine,
//   8 of them analog items with EURange and EngineeringUnits properties. Plus the server's own
//   Server object (≈600 nodes). Every crawl starts at Objects and covers all of it.
// - Plantbench: openOpcuaBrowser + crawl (batched Browse/BrowseNext, batched Read of Value, DataType,
//   AccessLevel and ValueRank of every variable, EU and range attached, requests pipelined), with
//   values (the default) and browse-only (values: false).
// - Baselines: a plain node-opcua session browsing one node per Browse (+ BrowseNext), recursively,
//   each awaited in turn (the naive crawl); and the same with 16 Browse requests in flight. They read
//   no attributes, so they compare with the browse-only row; the full crawl also reads three
//   attributes per variable.
// - Each crawl runs on a new session (session setup not timed); repetitions interleave the three
//   clients, after one untimed full crawl that warms up node-opcua on both sides (reported apart).
//   Figures: nodes/s median [min–max]; client and server CPU; client RSS peak.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openOpcuaBrowser } from '../../src/connectors/opcua/discovery/index.ts';
import { forkPlantServer, type PlantServer } from '../../test/helpers/opcua-plant-server.ts';
import { appendResults, machineLine, markdownTable, median, range, shouldWrite, textTable } from '../lib/report.ts';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const WRITE = shouldWrite();
const NODES = QUICK ? 10_000 : 50_000;
const REPS = QUICK ? 1 : 3;
const TARGET = 10_000;

interface Figure {
  readonly nodes: number;
  readonly ms: number;
  readonly clientCpuMs: number;
  readonly serverCpuMs: number;
  readonly rssPeakMb: number;
  readonly requests: number;
}

/** Times one crawl, with the CPU both processes spent and the peak RSS of this one. */
async function measure(server: PlantServer, crawl: () => Promise<{ nodes: number; requests: number }>): Promise<Figure> {
  global.gc?.();
  let rssPeak = process.memoryUsage().rss;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
  const serverBefore = await server.cpuMs();
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const { nodes, requests } = await crawl();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  return { nodes, ms, requests, clientCpuMs: (cpu.user + cpu.system) / 1000, serverCpuMs: (await server.cpuMs()) - serverBefore, rssPeakMb: rssPeak / 2 ** 20 };
}

async function plantbenchCrawl(endpoint: string, dataDir: string, values: boolean): Promise<() => Promise<{ nodes: number; requests: number }>> {
  const browser = await openOpcuaBrowser({ endpointUrl: endpoint }, { dataDir });
  return async () => {
    try {
      const result = await browser.crawl({ values, budget: 1_000_000 });
      if (result.error) throw new Error(result.error);
      const r = result.requests;
      return { nodes: result.nodes.length, requests: r.browse + r.browseNext + r.read };
    } finally {
      await browser.close();
    }
  };
}

/**
 * A plain node-opcua client browsing one node per request, following BrowseNext: the naive recursive
 * crawl (`inFlight` 1: each Browse awaited in turn), or the same with `inFlight` Browse requests at once.
 */
async function plainClientCrawl(endpoint: string, inFlight: number): Promise<() => Promise<{ nodes: number; requests: number }>> {
  const { BrowseDirection, OPCUAClient } = await import('node-opcua');
  type NodeIdLike = import('node-opcua').NodeIdLike;
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(endpoint);
  const session = await client.createSession();
  return async () => {
    const seen = new Set<string>(['ns=0;i=85']);
    let requests = 0;
    const children = async (nodeId: NodeIdLike) => {
      requests++;
      const result = await session.browse({ nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: 'HierarchicalReferences', includeSubtypes: true, resultMask: 63 });
      const refs = [...(result.references ?? [])];
      let point = result.continuationPoint;
      while (point?.length) {
        requests++;
        const next = await session.browseNext(point, false);
        refs.push(...(next.references ?? []));
        point = next.continuationPoint;
      }
      return refs.filter((ref) => {
        const key = ref.nodeId.toString();
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    };
    const recurse = async (nodeId: NodeIdLike): Promise<void> => {
      for (const ref of await children(nodeId)) await recurse(ref.nodeId);
    };
    const pool = async (): Promise<void> => {
      const queue: NodeIdLike[] = ['i=85'];
      let active = 0;
      await new Promise<void>((done, fail) => {
        const pump = (): void => {
          while (active < inFlight && queue.length > 0) {
            active++;
            children(queue.shift()!)
              .then((refs) => {
                queue.push(...refs.map((r) => r.nodeId));
                active--;
                pump();
              })
              .catch(fail);
          }
          if (active === 0 && queue.length === 0) done();
        };
        pump();
      });
    };
    try {
      await (inFlight === 1 ? recurse('i=85') : pool());
      return { nodes: seen.size, requests };
    } finally {
      await session.close();
      await client.disconnect();
    }
  };
}

const PARALLEL = 16;
const CLIENTS = [
  'Plantbench crawl (with values, EU, range)',
  'Plantbench crawl, browse only',
  'node-opcua client, naive recursive browse',
  `node-opcua client, one Browse per node, ${PARALLEL} in flight`,
] as const;

async function main(): Promise<void> {
  const machine = `${machineLine()}; load average ${loadavg()[0]!.toFixed(1)} at the start`;
  console.log(`Plantbench OPC UA crawl benchmark${QUICK ? ' (quick)' : ''}`);
  console.log(machine);
  const server = await forkPlantServer(NODES);
  console.log(`server: ${server.variables.toLocaleString('en')} variables built in ${(server.buildMs / 1000).toFixed(1)} s at ${server.endpoint}`);
  const dataDir = join(mkdtempSync(join(tmpdir(), 'plantbench-bench-crawl-')), '.plantbench');
  const figures: Figure[][] = CLIENTS.map(() => []);
  let cold: Figure | undefined;
  try {
    // The first crawl of a fresh server warms up node-opcua on both sides (JIT, per-node caches):
    // reported apart, not counted in the repetitions.
    process.stdout.write('first crawl of the fresh server (warm-up) … ');
    cold = await measure(server, await plantbenchCrawl(server.endpoint, dataDir, true));
    process.stdout.write(`${cold.nodes.toLocaleString('en')} nodes in ${(cold.ms / 1000).toFixed(2)} s\n`);
    for (let r = 0; r < REPS; r++) {
      for (let c = 0; c < CLIENTS.length; c++) {
        const crawl = c >= 2 ? await plainClientCrawl(server.endpoint, c === 2 ? 1 : PARALLEL) : await plantbenchCrawl(server.endpoint, dataDir, c === 0);
        process.stdout.write(`repetition ${r + 1}/${REPS}, ${CLIENTS[c]} … `);
        const f = await measure(server, crawl);
        figures[c]!.push(f);
        process.stdout.write(`${f.nodes.toLocaleString('en')} nodes in ${(f.ms / 1000).toFixed(2)} s: ${Math.round((f.nodes / f.ms) * 1000).toLocaleString('en')} nodes/s\n`);
      }
    }
  } finally {
    await server.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }

  const rate = (f: Figure): number => (f.nodes / f.ms) * 1000;
  const rows = [
    ['client', 'nodes', 'nodes/s', 'time (s)', 'requests', 'client CPU (s)', 'server CPU (s)', 'client RSS peak (MB)'],
    ...CLIENTS.map((name, c) => {
      const reps = figures[c]!;
      return [
        name,
        median(reps.map((f) => f.nodes)).toLocaleString('en'),
        range(reps.map(rate), (x) => Math.round(x).toLocaleString('en')),
        range(reps.map((f) => f.ms / 1000), (x) => x.toFixed(2)),
        median(reps.map((f) => f.requests)).toLocaleString('en'),
        range(reps.map((f) => f.clientCpuMs / 1000), (x) => x.toFixed(2)),
        range(reps.map((f) => f.serverCpuMs / 1000), (x) => x.toFixed(2)),
        range(reps.map((f) => f.rssPeakMb), (x) => x.toFixed(0)),
      ];
    }),
  ];
  console.log(`\n${textTable(rows)}\n`);
  const full = median(figures[0]!.map(rate));
  const browseOnly = median(figures[1]!.map(rate));
  const naive = median(figures[2]!.map(rate));
  const parallel = median(figures[3]!.map(rate));
  const notes = [
    `Full crawl (values, data types, access levels, EU and ranges of ${server.variables.toLocaleString('en')} variables): ${Math.round(full).toLocaleString('en')} nodes/s median, target ≥ ${TARGET.toLocaleString('en')}: ${full >= TARGET ? 'met' : 'missed'}${NODES < 50_000 ? ` (quick run on ${NODES.toLocaleString('en')} nodes)` : ''}.`,
    `Browse only: ${Math.round(browseOnly).toLocaleString('en')} nodes/s, ${(browseOnly / naive).toFixed(1)}× the naive recursive node-opcua crawl (${Math.round(naive).toLocaleString('en')} nodes/s) and ${(browseOnly / parallel).toFixed(1)}× the one with ${PARALLEL} Browse requests in flight (${Math.round(parallel).toLocaleString('en')} nodes/s); neither reads attributes.`,
    `The first full crawl of the freshly started server (warm-up, not in the table): ${Math.round(rate(cold!)).toLocaleString('en')} nodes/s, server CPU ${(cold!.serverCpuMs / 1000).toFixed(2)} s.`,
  ];
  for (const n of notes) console.log(n);

  if (WRITE) {
    appendResults(
      `OPC UA discovery crawl${QUICK ? ' (quick run)' : ''}`,
      [
        `Machine: ${machine}. \`node bench/discovery-opcua/run.ts${QUICK ? ' --quick' : ''}\` (method in its header).`,
        '',
        `Simulator in a child process with a generated plant of ${server.variables.toLocaleString('en')} variables (${Math.round(median(figures[0]!.map((f) => f.nodes))).toLocaleString('en')} nodes below Objects, the Server object included); ` +
          `every crawl starts at Objects on a new session. ${REPS} repetition(s): median [min–max].`,
        '',
        markdownTable(rows),
        '',
        ...notes.map((n) => `- ${n}`),
      ].join('\n'),
    );
  }
}

await main();
