// The server side of the OPC UA benchmark, in its own process so its work does not delay the client:
// the Plantbench simulator with <tags> Double variables Bench/T0..T<n-1>, and an open-loop driver
// that changes them at a fixed rate. Each new value is the high-resolution epoch time of the change
// (ms with fractions), so the client measures latency from the value itself.
//   node bench/opcua/server-process.ts <tags> <min publishing interval ms>
// IPC: {ready, endpoint} once listening; {cmd:'drive', rate, warmupMs, durationMs} → {measuring} after
// the warm-up, then {driven: {changes, loopDelayMaxMs}} at the end; {cmd:'requests', type} → {requests: n};
// {cmd:'stop'} exits.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Subscription } from 'node-opcua';
import { startOpcuaSimulator } from '../../src/simulators/opcua/index.ts';

const [tagsArg, minPublishingArg] = process.argv.slice(2) as [string, string];
const tags = Number(tagsArg);
// node-opcua's server refuses publishing intervals below 50 ms unless told otherwise.
Subscription.minimumPublishingInterval = Number(minPublishingArg);

const now = (): number => performance.timeOrigin + performance.now();
const paths = Array.from({ length: tags }, (_, i) => `Bench/T${i}`);
const sim = await startOpcuaSimulator(
  {
    apiVersion: 'plantbench/v1',
    kind: 'Simulator',
    id: 'bench',
    protocol: 'opcua',
    bind: { host: '127.0.0.1', port: 0 },
    namespaceUri: 'urn:plantbench:bench',
    resourcePath: '/bench',
    variables: paths.map((path) => ({ path, dataType: 'Double' as const, value: 0, writable: false, updateMs: 1000 })),
  },
  { baseDir: process.cwd(), log: () => undefined },
);
process.send!({ ready: true, endpoint: sim.endpoint });

async function drive(rate: number, warmupMs: number, durationMs: number): Promise<{ changes: number; loopDelayMaxMs: number }> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let seq = 0;
  let counted = 0;
  let measuring = false;
  const started = performance.now();
  const end = warmupMs + durationMs;
  await new Promise<void>((done) => {
    const tick = (): void => {
      const elapsed = performance.now() - started;
      if (!measuring && elapsed >= warmupMs) {
        measuring = true;
        loop.enable();
        process.send!({ measuring: now() });
      }
      const due = Math.floor((Math.min(elapsed, end) * rate) / 1000);
      // Open loop: late timers catch up, the schedule never waits for the client.
      while (seq < due) {
        sim.setValue(paths[seq % tags]!, now());
        if (measuring) counted++;
        seq++;
      }
      if (elapsed >= end) done();
      else setTimeout(tick, 1);
    };
    tick();
  });
  loop.disable();
  return { changes: counted, loopDelayMaxMs: loop.max / 1e6 };
}

process.on('message', async (m: { cmd: string; rate?: number; warmupMs?: number; durationMs?: number; type?: string }) => {
  if (m.cmd === 'drive') process.send!({ driven: await drive(m.rate!, m.warmupMs!, m.durationMs!) });
  if (m.cmd === 'requests') process.send!({ requests: sim.requestCount(m.type!) });
  if (m.cmd === 'stop') {
    await sim.stop();
    process.disconnect();
  }
});
