// The layout of an exported gateway bundle and how the runtime loads one version of it
// (docs/gateway.md). Loading never throws for bad content: it returns located problems.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import type { StoreAndForwardOptions } from '../connectors/store-and-forward.ts';
import { gatewayFile, parseDurationText, type GatewayFile } from '../shared/model/gateway.ts';
import type { Problem } from '../shared/problem.ts';
import type { SecretLookup } from '../shared/secret-refs.ts';
import { devicesUsedBy, loadProject, resolveDeviceSecrets } from '../store/project.ts';
import { headlessSecretLookup, SecretsFileError } from '../store/secrets.ts';
import { parseYamlSource, problemAt, zodProblems } from '../store/yaml-source.ts';

/** File and folder names inside a bundle. */
export const BUNDLE = {
  runtime: 'plantbench-gateway.js',
  config: 'gateway.yaml',
  project: 'project',
  unit: 'plantbench-gateway.service',
  dockerfile: 'Dockerfile',
  compose: 'compose.yaml',
  readme: 'README.md',
  secrets: 'SECRETS.md',
} as const;


/** One loaded, validated version of a bundle: gateway.yaml and a snapshot of project/. */
export interface BundleVersion {
  readonly config: GatewayFile;
  /** The snapshot the session runs from: edits to project/ never change it under a running session. */
  readonly root: string;
  readonly secrets: SecretLookup;
  readonly buffer: StoreAndForwardOptions;
  /** Hash of gateway.yaml and every project file: equal hashes are the same version. */
  readonly fingerprint: string;
}

export interface LoadBundleOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Overrides gateway.yaml secrets.file (the --secrets flag). */
  readonly secretsFile?: string;
  /** Where the snapshot of project/ is copied to. */
  readonly snapshotDir: string;
  readonly stateDir: string;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

/** The project folders the runtime reads (simulators/ is for the engineer: a gateway never simulates). */
export const RUNTIME_PROJECT_DIRS = ['devices', 'pipelines'] as const;

/** Hash of gateway.yaml and what the runtime reads of project/: cheap enough for every file event. */
export function bundleFingerprint(dir: string): string {
  const hash = createHash('sha256');
  const project = join(dir, BUNDLE.project);
  const files = [join(dir, BUNDLE.config), join(project, 'plantbench.yaml'), ...RUNTIME_PROJECT_DIRS.flatMap((d) => listFiles(join(project, d)))];
  for (const file of files) {
    hash.update(relative(dir, file)).update('\0');
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update('(unreadable)');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * The secrets file: the --secrets flag, PLANTBENCH_SECRETS_FILE, gateway.yaml secrets.file (relative
 * to the bundle), or a systemd credential named secrets.yaml ($CREDENTIALS_DIRECTORY).
 */
function secretsFileOf(dir: string, config: GatewayFile, options: LoadBundleOptions): string | undefined {
  if (options.secretsFile) return resolve(options.secretsFile);
  if (options.env.PLANTBENCH_SECRETS_FILE) return resolve(options.env.PLANTBENCH_SECRETS_FILE);
  if (config.secrets.file) return resolve(dir, config.secrets.file);
  const credential = options.env.CREDENTIALS_DIRECTORY && join(options.env.CREDENTIALS_DIRECTORY, 'secrets.yaml');
  return credential && existsSync(credential) ? credential : undefined;
}

/**
 * Loads and checks one version of the bundle in `dir`: gateway.yaml, the project (copied to a
 * snapshot first), the pipelines it names and every secret they need. Problems name bundle files.
 */
export function loadBundle(dir: string, options: LoadBundleOptions): { version?: BundleVersion; problems: Problem[] } {
  dir = resolve(dir);
  const fingerprint = bundleFingerprint(dir);
  const configPath = join(dir, BUNDLE.config);
  if (!existsSync(configPath)) {
    return { problems: [{ file: BUNDLE.config, line: 0, col: 0, path: [], message: `no ${BUNDLE.config} in ${dir}: not a Plantbench gateway bundle (make one with "plantbench export")` }] };
  }
  const source = parseYamlSource(BUNDLE.config, readFileSync(configPath, 'utf8'));
  if (source.syntaxProblems.length) return { problems: source.syntaxProblems };
  const parsed = gatewayFile.safeParse(source.data);
  if (!parsed.success) return { problems: zodProblems(source, parsed.error) };
  const config = parsed.data;

  // The session runs from a snapshot, so a half-copied edit of project/ never reaches it.
  rmSync(options.snapshotDir, { recursive: true, force: true });
  mkdirSync(options.snapshotDir, { recursive: true, mode: 0o700 });
  const projectDir = join(dir, BUNDLE.project);
  // simulators/ stays out: a gateway runs against real devices, and big simulator profiles
  // would only cost parse time at every start and reload.
  const simulators = join(projectDir, 'simulators');
  if (existsSync(projectDir)) cpSync(projectDir, options.snapshotDir, { recursive: true, filter: (src) => src !== simulators });
  const loaded = loadProject(options.snapshotDir);
  const inProject = (p: Problem): Problem => ({ ...p, file: `${BUNDLE.project}/${p.file}` });
  const problems = loaded.problems.map(inProject);
  // A loop, not a callback: a closure over `loaded` would keep the whole project alive through the
  // `secrets` lookup below, which shares this function's context.
  for (const [i, id] of config.pipelines.entries()) {
    if (!loaded.pipelines.has(id)) problems.push(problemAt(source, ['pipelines', i], `no pipeline "${id}" in the bundle (${BUNDLE.project}/pipelines/${id}.yaml)`));
  }
  if (problems.length) return { problems };

  let fileLookup: SecretLookup;
  const secretsFile = secretsFileOf(dir, config, options);
  try {
    fileLookup = headlessSecretLookup({}, secretsFile);
  } catch (err) {
    const message = err instanceof SecretsFileError || (err as NodeJS.ErrnoException).code ? (err as Error).message : String(err);
    return { problems: [problemAt(source, config.secrets.file && !options.secretsFile ? ['secrets', 'file'] : ['secrets'], `secrets file: ${message}`)] };
  }
  const prefix = config.secrets.envPrefix;
  const secrets: SecretLookup = (kind, name) => (kind === 'env' ? options.env[name] : (options.env[`${prefix}${name}`] ?? fileLookup('secret', name)));
  const pipelines = config.pipelines.map((id) => loaded.pipelines.get(id)!.model!);
  const resolved = resolveDeviceSecrets(loaded, devicesUsedBy(pipelines), secrets);
  // resolveDeviceSecrets names PLANTBENCH_SECRET_; say the prefix this gateway uses.
  problems.push(...resolved.problems.map((p) => inProject({ ...p, message: p.message.replaceAll('PLANTBENCH_SECRET_', prefix) })));
  if (problems.length) return { problems };

  const buffer: StoreAndForwardOptions = {
    file: join(options.stateDir, config.buffer.file),
    maxEntries: config.buffer.maxEntries,
    maxAgeMs: parseDurationText(config.buffer.maxAge)!,
    whenFull: config.buffer.whenFull,
    drainPerSecond: config.buffer.drainPerSecond,
  };
  return { problems: [], version: { config, root: options.snapshotDir, secrets, buffer, fingerprint } };
}
