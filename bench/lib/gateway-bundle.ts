// An exported gateway bundle, run the way it is deployed; shared by bench/gateway and bench/compare.
// Layout: <dir>/bundle is what `plantbench export` writes, <dir> is the working directory (the
// gateway's ./state folder lands there, as beside a systemd unit's WorkingDirectory).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from '../../src/gateway/bundle.ts';
import { GATEWAY_NODE_FLAGS, writeExport, type ExportPlan } from '../../src/gateway/export.ts';

/**
 * Exports `pipelines` of `projectRoot` into `<dir>/bundle`, with the health endpoint on `healthHost`
 * and port 0 (a free one), so that bundles of several benches never share 127.0.0.1:9464.
 */
export async function exportGateway(projectRoot: string, pipelines: string[], dir: string, healthHost: string): Promise<ExportPlan> {
  const out = join(dir, 'bundle');
  const plan = await writeExport(projectRoot, { pipelines }, out);
  if (plan.problems.length) throw new Error(`export of ${pipelines.join(', ')}: ${JSON.stringify(plan.problems)}`);
  const config = join(out, BUNDLE.config);
  const text = readFileSync(config, 'utf8');
  if (!text.includes('host: 127.0.0.1') || !text.includes('port: 9464')) throw new Error(`${config}: no default health host and port to replace (has gateway.yaml's layout changed?)`);
  writeFileSync(config, text.replace('host: 127.0.0.1', `host: ${healthHost}`).replace('port: 9464', 'port: 0'));
  return plan;
}

/** The deployed command line (systemd unit, Dockerfile) for the bundle in `<dir>/bundle`: this Node 22, minimal environment. */
export function gatewayCommand(dir: string): { command: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  return { command: process.execPath, args: [...GATEWAY_NODE_FLAGS, join(dir, 'bundle', BUNDLE.runtime), 'run'], cwd: dir, env: { PATH: '/usr/bin:/bin' } };
}
