// `plantbench export <project> [--pipeline ID ...] --out <dir|file.tar.gz>` (docs/gateway.md).
import { resolve } from 'node:path';
import { GATEWAY_NODE_FLAGS, writeExport, type ExportPlan } from '../../gateway/export.ts';
import { paint, printJson, printProblems, UsageError } from '../output.ts';

export interface ExportCommandOptions {
  json: boolean;
  pipelines: string[];
  out?: string;
}

function sizeText(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function printSummary(out: string, plan: ExportPlan): void {
  const byRole = new Map<string, number>();
  for (const f of plan.files) byRole.set(f.role, (byRole.get(f.role) ?? 0) + f.bytes);
  const total = plan.files.reduce((n, f) => n + f.bytes, 0);
  process.stdout.write(`${paint('green', 'exported')} ${plan.files.length} files (${sizeText(total)}) to ${out}\n`);
  for (const [role, bytes] of byRole) process.stdout.write(`  ${role.padEnd(8)} ${sizeText(bytes)}\n`);
  if (plan.secrets.length) {
    process.stdout.write(`Secrets the gateway needs (see SECRETS.md; no value is in the bundle):\n`);
    for (const s of plan.secrets) process.stdout.write(`  ${s.ref}  ${paint('dim', s.usedBy.join(', '))}\n`);
  }
  process.stdout.write(`Run it: node ${GATEWAY_NODE_FLAGS.join(' ')} plantbench-gateway.js run   (README.md)\n`);
}

export async function exportBundle(target: string | undefined, options: ExportCommandOptions): Promise<number> {
  if (!target) throw new UsageError('export needs a project folder');
  if (!options.out) throw new UsageError('export needs --out <dir|file.tar.gz>');
  const root = resolve(target);
  const out = resolve(options.out);
  const plan = await writeExport(root, { pipelines: options.pipelines }, out);
  if (options.json) printJson({ out, ...plan });
  if (plan.problems.length) {
    if (!options.json) {
      printProblems(root, plan.problems, process.stderr);
      process.stderr.write(paint('red', `not exported: ${plan.problems.length} problem(s)\n`, process.stderr));
    }
    return 1;
  }
  if (!options.json) printSummary(out, plan);
  return 0;
}
