// Gateway export: plans and writes a self-contained bundle (docs/gateway.md): the runtime built from
// the same engine and connectors, better-sqlite3 and serialport with their Linux prebuilds, the selected pipelines
// with the devices and simulators they use as canonical YAML, gateway.yaml, deploy files and docs.
// No secret value is ever read here: files keep their ${secret:…}/${env:…} references.
import { create as createTar } from 'tar';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FILE_SCHEMAS } from '../shared/model/index.ts';
import { gatewayFile, type GatewayFile } from '../shared/model/gateway.ts';
import type { Problem } from '../shared/problem.ts';
import { findSecretRefs } from '../shared/secret-refs.ts';
import { toCanonicalYaml } from '../store/canonical.ts';
import { devicesUsedBy, loadProject } from '../store/project.ts';
import { BUNDLE } from './bundle.ts';

export type ExportFileRole = 'runtime' | 'native' | 'project' | 'config' | 'deploy' | 'docs';

export interface ExportPlan {
  /** Located problems: the export is refused while there are any. */
  problems: Problem[];
  /** Bundle-relative paths ("/" separated) and their sizes. */
  files: { path: string; bytes: number; role: ExportFileRole }[];
  /** The ${secret:…} / ${env:…} names the bundle needs at run time, and the files using them. */
  secrets: { ref: string; kind: 'secret' | 'env'; usedBy: string[] }[];
}

export interface ExportOptions {
  /** Pipeline ids to export; all of the project's when empty or absent. */
  pipelines?: string[];
}

/** The platforms whose prebuilds (better-sqlite3, serialport) an export carries (see docs/gateway.md). */
export const GATEWAY_PLATFORMS = ['linux-x64', 'linux-arm64'] as const;

/**
 * Node options of the deployed command line (systemd, Docker, README) and of the benchmark: V8
 * favours memory over speed, and keeps one background thread instead of four (a gateway has 1-2
 * cores; each thread costs a malloc arena): on a 1 GB gateway memory is what runs out (docs/gateway.md).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--optimize-for-size', '--v8-pool-size=1'];

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Where npm run build:gateway writes the runtime. */
export const GATEWAY_RUNTIME_DIR = join(REPO, 'out', 'gateway');
const TEMPLATES = join(REPO, 'build', 'gateway');

interface PlannedFile {
  path: string;
  role: ExportFileRole;
  /** Either the bytes, or a file to copy. */
  data?: Buffer;
  from?: string;
  mode: number;
}

const bytesOf = (f: PlannedFile): number => f.data?.length ?? statSync(f.from!).size;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

/** Build-time only: C++ headers for node-gyp. */
const BUILD_ONLY_PACKAGES = new Set(['node-addon-api']);

/**
 * A package and, recursively, its dependencies, each found the way Node resolves it from the
 * dependent's folder (nested node_modules first, then upwards).
 */
function runtimePackages(name: string, fromDir: string): { name: string; dir: string }[] {
  const found = new Map<string, { name: string; dir: string }>();
  const visit = (pkg: string, from: string): void => {
    let dir = from;
    while (!existsSync(join(dir, 'node_modules', pkg, 'package.json'))) {
      if (dirname(dir) === dir) throw new Error(`gateway export: package ${pkg} not found from ${from} (npm install?)`);
      dir = dirname(dir);
    }
    dir = join(dir, 'node_modules', pkg);
    if (found.has(dir)) return;
    found.set(dir, { name: pkg, dir });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies ?? {})) if (!BUILD_ONLY_PACKAGES.has(dep)) visit(dep, dir);
  };
  visit(name, fromDir);
  return [...found.values()];
}

/** Files of a package a gateway loads: no nested packages, C++ sources, typings, docs, or other platforms' prebuilds. */
function shipsAtRunTime(path: string): boolean {
  if (path.startsWith('node_modules/') || path.startsWith('test/')) return false;
  if (/\.(d\.[cm]?ts|map|md|gyp|cc|cpp|h)$/.test(path)) return false;
  const prebuild = /^prebuilds\/([^/]+)\//.exec(path);
  return !prebuild || (GATEWAY_PLATFORMS as readonly string[]).includes(prebuild[1]!);
}

/** Builds out/gateway when it is missing and rolldown is installed (a development checkout). */
async function ensureRuntime(): Promise<Problem[]> {
  if (existsSync(join(GATEWAY_RUNTIME_DIR, BUNDLE.runtime))) return [];
  const builder = join(TEMPLATES, 'build.ts');
  try {
    createRequire(import.meta.url).resolve('rolldown');
  } catch {
    return [{ file: `out/gateway/${BUNDLE.runtime}`, line: 0, col: 0, path: [], message: 'the gateway runtime is not built: run "npm run build:gateway" in the Plantbench checkout' }];
  }
  const { buildGateway } = (await import(pathToFileURL(builder).href)) as { buildGateway(): Promise<void> };
  await buildGateway();
  return [];
}

function fillTemplate(name: string, values: Record<string, string>): Buffer {
  const text = readFileSync(join(TEMPLATES, name), 'utf8').replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
  return Buffer.from(text);
}

/** The environment block of compose.yaml: env references from the host's environment, the secrets file path. */
function composeEnvironment(envNames: readonly string[], secretsFile: boolean): string {
  const lines = [
    ...(secretsFile ? ['      PLANTBENCH_SECRETS_FILE: /run/secrets/plantbench_secrets'] : []),
    ...envNames.map((n) => `      ${n}: \${${n}:?set ${n} in the environment or an .env file}`),
  ];
  return lines.length ? `    environment:\n${lines.join('\n')}\n` : '';
}

/** Character-device groups of serial lines, for a path only known at run time (a ${env:…} reference). */
const SERIAL_DEVICE_GROUPS = ['char-ttyS', 'char-ttyUSB', 'char-ttyACM'];

/**
 * systemd and compose lines for the serial lines of Modbus RTU devices: PrivateDevices would hide
 * them, so the unit allows exactly these devices instead, and the user joins group dialout.
 */
function serialAccess(paths: readonly string[]): { unit: string; compose: string } {
  if (!paths.length) return { unit: 'PrivateDevices=yes', compose: '' };
  const known = paths.filter((p) => !p.includes('${'));
  const allow = [...known, ...(known.length < paths.length ? SERIAL_DEVICE_GROUPS : [])];
  return {
    unit: ['# Serial lines of Modbus RTU devices: only these devices, not PrivateDevices (which hides them).', 'DevicePolicy=closed', ...allow.map((d) => `DeviceAllow=${d} rw`), 'SupplementaryGroups=dialout'].join('\n'),
    compose: `    group_add: [dialout]\n    devices:\n${known.map((d) => `      - ${d}:${d}`).join('\n') || '      # - /dev/ttyUSB0:/dev/ttyUSB0   (the serial path comes from the environment: map it here)'}\n`,
  };
}

async function plan(projectRoot: string, options: ExportOptions): Promise<{ plan: ExportPlan; files: PlannedFile[] }> {
  const root = resolve(projectRoot);
  const loaded = loadProject(root);
  const empty = (problems: Problem[]): { plan: ExportPlan; files: PlannedFile[] } => ({ plan: { problems, files: [], secrets: [] }, files: [] });
  if (loaded.problems.length) return empty(loaded.problems);
  const selected = options.pipelines?.length ? [...new Set(options.pipelines)] : [...loaded.pipelines.keys()];
  const unknown = selected.filter((id) => !loaded.pipelines.has(id));
  if (unknown.length) {
    return empty(unknown.map((id) => ({ file: `pipelines/${id}.yaml`, line: 0, col: 0, path: [], message: `no pipeline "${id}" in ${root} (known: ${[...loaded.pipelines.keys()].join(', ') || 'none'})` })));
  }
  if (!selected.length) return empty([{ file: 'pipelines', line: 0, col: 0, path: [], message: 'the project has no pipeline to export' }]);
  const problems = await ensureRuntime();
  if (problems.length) return empty(problems);

  const files: PlannedFile[] = [];
  const add = (path: string, role: ExportFileRole, content: string | Buffer, mode = 0o644): void =>
    void files.push({ path, role, data: Buffer.isBuffer(content) ? content : Buffer.from(content), mode });

  // Runtime: the rolldown output as built (entry, chunks, package.json with "type": "module").
  for (const file of filesUnder(GATEWAY_RUNTIME_DIR)) files.push({ path: relative(GATEWAY_RUNTIME_DIR, file).split('\\').join('/'), role: 'runtime', from: file, mode: 0o644 });

  // Native: better-sqlite3's JS and only the Linux prebuilds its loader picks (lib/binding.js).
  const sqliteDir = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  const sqliteTarget = 'node_modules/better-sqlite3';
  files.push({ path: `${sqliteTarget}/package.json`, role: 'native', from: join(sqliteDir, 'package.json'), mode: 0o644 });
  for (const file of [join(sqliteDir, 'LICENSE'), ...filesUnder(join(sqliteDir, 'lib'))]) {
    if (existsSync(file)) files.push({ path: `${sqliteTarget}/${relative(sqliteDir, file).split('\\').join('/')}`, role: 'native', from: file, mode: 0o644 });
  }
  for (const platform of GATEWAY_PLATFORMS) {
    const prebuild = join(sqliteDir, 'prebuilds', `${platform}.node`);
    if (existsSync(prebuild)) files.push({ path: `${sqliteTarget}/prebuilds/${platform}.node`, role: 'native', from: prebuild, mode: 0o755 });
  }

  // Native: serialport's binding (Modbus RTU) with the JS packages it loads at run time, laid out
  // as in node_modules, so its own loader (node-gyp-build) picks the prebuild for the machine.
  for (const pkg of runtimePackages('@serialport/bindings-cpp', REPO)) {
    for (const file of filesUnder(pkg.dir).filter((f) => shipsAtRunTime(relative(pkg.dir, f).split('\\').join('/')))) {
      files.push({ path: relative(REPO, file).split('\\').join('/'), role: 'native', from: file, mode: file.endsWith('.node') ? 0o755 : 0o644 });
    }
  }

  // Project: the selected pipelines, the devices they use and the simulators standing in for them.
  const pipelines = selected.map((id) => loaded.pipelines.get(id)!);
  const deviceIds = devicesUsedBy(pipelines.map((p) => p.model!));
  const devices = [...deviceIds].sort().map((id) => loaded.devices.get(id)!);
  const simulators = [...loaded.simulators.values()].filter((s) => s.model?.device && deviceIds.has(s.model.device));
  const secretUses = new Map<string, { ref: string; kind: 'secret' | 'env'; usedBy: Set<string> }>();
  const project = (file: string, raw: unknown, kind: keyof typeof FILE_SCHEMAS): void => {
    const path = `${BUNDLE.project}/${file}`;
    add(path, 'project', toCanonicalYaml(raw, FILE_SCHEMAS[kind]));
    for (const use of findSecretRefs(raw)) {
      const ref = `\${${use.kind}:${use.name}}`;
      const entry = secretUses.get(ref) ?? { ref, kind: use.kind, usedBy: new Set<string>() };
      entry.usedBy.add(path);
      secretUses.set(ref, entry);
    }
  };
  project('plantbench.yaml', loaded.project!.raw, 'project');
  for (const d of devices) project(`devices/${d.model!.id}.yaml`, d.raw, 'device');
  for (const p of pipelines) project(`pipelines/${p.model!.id}.yaml`, p.raw, 'pipeline');
  for (const s of simulators) project(`simulators/${s.model!.id}.yaml`, s.raw, 'simulator');
  const secrets = [...secretUses.values()].sort((a, b) => a.ref.localeCompare(b.ref)).map((s) => ({ ref: s.ref, kind: s.kind, usedBy: [...s.usedBy].sort() }));

  // Config: gateway.yaml with the defaults written out, so the operator sees every knob.
  const config: GatewayFile = gatewayFile.parse({
    apiVersion: 'plantbench/v1',
    kind: 'Gateway',
    secrets: { required: secrets.map((s) => s.ref) },
    pipelines: selected,
  });
  add(BUNDLE.config, 'config', `# Plantbench gateway: see README.md. Changes apply while running (hot reload).\n${toCanonicalYaml(config, gatewayFile)}`);

  // Deploy and docs.
  const name = loaded.project!.model!.name;
  const needsSecretFile = secrets.some((s) => s.kind === 'secret');
  const envNames = secrets.filter((s) => s.kind === 'env').map((s) => s.ref.slice(6, -1));
  const secretNames = secrets.filter((s) => s.kind === 'secret').map((s) => s.ref.slice(9, -1));
  const serial = serialAccess(devices.flatMap((d) => (d.model!.protocol === 'modbus' && d.model!.transport.kind === 'rtu' ? [d.model!.transport.path] : [])));
  const values = {
    name,
    serialUnit: serial.unit,
    serialCompose: serial.compose,
    pipelines: selected.join(', '),
    nodeFlags: GATEWAY_NODE_FLAGS.join(' '),
    nodeFlagsJson: GATEWAY_NODE_FLAGS.map((f) => `${JSON.stringify(f)}, `).join(''),
    credential: needsSecretFile ? 'LoadCredential=secrets.yaml:/etc/plantbench-gateway/secrets.yaml' : '# LoadCredential=secrets.yaml:/etc/plantbench-gateway/secrets.yaml',
    composeEnvironment: composeEnvironment(envNames, needsSecretFile),
    composeSecrets: needsSecretFile ? '    secrets: [plantbench_secrets]\n' : '',
    composeSecretsTop: needsSecretFile ? 'secrets:\n  plantbench_secrets:\n    file: ./secrets.yaml\n' : '',
    secretList: secrets.length ? secrets.map((s) => `- \`${s.ref}\` (${s.kind === 'secret' ? `secrets file key \`${s.ref.slice(9, -1)}\` or env \`PLANTBENCH_SECRET_${s.ref.slice(9, -1)}\`` : `environment variable \`${s.ref.slice(6, -1)}\``}): used by ${s.usedBy.join(', ')}`).join('\n') : '- none',
    secretsExample: secretNames.length ? secretNames.map((n) => `${n}: "…"`).join('\n') : '# (this bundle needs no ${secret:…})',
  };
  add(BUNDLE.unit, 'deploy', fillTemplate('plantbench-gateway.service', values));
  add(BUNDLE.dockerfile, 'deploy', fillTemplate('Dockerfile', values));
  add(BUNDLE.compose, 'deploy', fillTemplate('compose.yaml', values));
  add('.dockerignore', 'deploy', fillTemplate('dockerignore', values));
  add(BUNDLE.readme, 'docs', fillTemplate('README.md', values));
  add(BUNDLE.secrets, 'docs', fillTemplate('SECRETS.md', values));

  files.sort((a, b) => a.path.localeCompare(b.path));
  return { plan: { problems: [], files: files.map((f) => ({ path: f.path, bytes: bytesOf(f), role: f.role })), secrets }, files };
}

/** What an export of `projectRoot` would write, without writing anything. */
export async function planExport(projectRoot: string, options: ExportOptions): Promise<ExportPlan> {
  return (await plan(projectRoot, options)).plan;
}

/**
 * Writes the bundle to a folder (which must not exist or be empty), or to a .tar.gz when `out`
 * ends with .tar.gz / .tgz (the files under one folder named like the archive). Nothing is
 * written while the plan has problems.
 */
export async function writeExport(projectRoot: string, options: ExportOptions, out: string): Promise<ExportPlan> {
  const { plan: result, files } = await plan(projectRoot, options);
  if (result.problems.length) return result;
  out = resolve(out);
  const archive = /\.(tar\.gz|tgz)$/.test(out);
  if (!archive && existsSync(out) && readdirSync(out).length) {
    // Problems name files relative to the project, like every other problem.
    return { ...result, problems: [{ file: relative(resolve(projectRoot), out), line: 0, col: 0, path: [], message: 'the output folder is not empty: choose a new folder (or a .tar.gz file)' }] };
  }
  // Written beside, then renamed: a gateway watching `out` never sees half a bundle. An archive
  // holds the same folder, named like the archive.
  const top = archive ? out.replace(/^.*[\\/]/, '').replace(/\.(tar\.gz|tgz)$/, '') : '';
  if (archive) mkdirSync(dirname(out), { recursive: true });
  const staging = archive ? mkdtempSync(join(dirname(out), '.export-')) : '';
  const partial = archive ? join(staging, top) : `${out}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  for (const f of files) {
    const target = join(partial, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data ?? readFileSync(f.from!), { mode: f.mode });
  }
  if (archive) {
    try {
      await createTar({ gzip: true, file: `${out}.partial`, cwd: staging, portable: true }, [top]);
      renameSync(`${out}.partial`, out);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    return result;
  }
  rmSync(out, { recursive: true, force: true });
  renameSync(partial, out);
  return result;
}
