// node-opcua is heavy (≈1.5 s and tens of MB to load): it must load only when an OPC UA node or
// simulator starts. A child process records every module Node resolves (module.registerHooks), runs
// a pipeline without OPC UA next to a created OPC UA connector, then starts an OPC UA source as a
// positive control.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

const CHILD = `
import { registerHooks } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const stack = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    if (/\\/node_modules\\/(node-opcua[^/]*|@node-opcua)\\//.test(result.url)) stack.add(result.url);
    return result;
  },
});
const root = process.env.PLANTBENCH_ROOT;
const { createOpcuaConnector } = await import(root + 'src/connectors/opcua/index.ts');
await import(root + 'src/simulators/opcua/index.ts');
const { ENGINE_KINDS, kindRegistry } = await import(root + 'src/engine/nodes/index.ts');
const { PipelineRun } = await import(root + 'src/engine/runtime.ts');
const { RealClock } = await import(root + 'src/engine/clock.ts');
const { pipelineFile } = await import(root + 'src/shared/model/pipeline.ts');
const { deviceFile } = await import(root + 'src/shared/model/device.ts');
const dir = mkdtempSync(join(tmpdir(), 'plantbench-lazy-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const connector = createOpcuaConnector({ dataDir: join(dir, '.plantbench'), log: () => {} });
const kinds = kindRegistry(ENGINE_KINDS, connector.kinds);
const project = { uns: { enterprise: 'e', site: 's', area: 'a', line: 'l' } };
const make = (nodes) => pipelineFile.parse({ apiVersion: 'plantbench/v1', kind: 'Pipeline', id: 'p', name: 'p', nodes, edges: [] });
const device = deviceFile.parse({ apiVersion: 'plantbench/v1', kind: 'Device', id: 'plc', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:1/none', tags: [{ name: 't', nodeId: 'ns=1;s=T' }] });

// 1. A pipeline without OPC UA nodes, with the OPC UA kinds registered.
let samples = 0;
const plain = new PipelineRun({ pipeline: make({ sig: { type: 'signal', config: { path: 'x', intervalMs: 10, shape: { kind: 'sine' } } } }), kinds, clock: new RealClock(), project, devices: () => undefined });
plain.tap('sig', 'out', (b) => (samples += b.length));
await plain.start();
await new Promise((r) => setTimeout(r, 200));
await plain.stop();
const withoutOpcua = [...stack];

// 2. Positive control: an OPC UA source starts (its device is unreachable, which is enough).
const opc = new PipelineRun({ pipeline: make({ src: { type: 'opcua-source', config: { device: 'plc' } } }), kinds, clock: new RealClock(), project, devices: (id) => (id === 'plc' ? device : undefined) });
await opc.start();
await new Promise((r) => setTimeout(r, 300));
const status = opc.stats().nodes.src.status;
await opc.stop();
await connector.dispose();
process.stdout.write(JSON.stringify({ samples, withoutOpcua, withOpcua: stack.size, status }));
`;

describe('lazy loading of node-opcua', () => {
  it('loads the stack only when an OPC UA node starts', () => {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, PLANTBENCH_ROOT: root },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const result = JSON.parse(output.slice(output.lastIndexOf('{"samples"'))) as {
      samples: number;
      withoutOpcua: string[];
      withOpcua: number;
      status: Record<string, unknown>;
    };
    expect(result.samples).toBeGreaterThan(0);
    expect(result.withoutOpcua).toEqual([]);
    // The control: the hook does see node-opcua once an OPC UA source runs.
    expect(result.withOpcua).toBeGreaterThan(10);
    expect(result.status).toMatchObject({ connection: 'disconnected' });
  });
});
