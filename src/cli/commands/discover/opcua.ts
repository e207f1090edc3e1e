// `plantbench discover opcua <endpointUrl> ...`: a server's endpoints, security and certificate; a
// tree of its address space (browse to a depth, or crawl it all with progress); attributes and
// references of nodes; variables imported as device tags; a snapshot written as a simulator profile.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getOpcuaEndpoints, openOpcuaBrowser, type OpcuaBrowser } from '../../../connectors/opcua/discovery/index.ts';
import {
  OPCUA_SECURITY_MODES,
  OPCUA_SECURITY_POLICIES,
  opcuaTarget,
  type OpcuaAttributesResult,
  type OpcuaCrawlNode,
  type OpcuaCrawlResult,
  type OpcuaEndpointsResult,
  type OpcuaReferencesResult,
  type OpcuaTarget,
} from '../../../shared/discovery/opcua.ts';
import { importableVariables, opcuaTagsFromSelection, type OpcuaSelectedVariable } from '../../../shared/discovery/opcua-import.ts';
import { opcuaSnapshot } from '../../../shared/discovery/opcua-snapshot.ts';
import { id as idSchema, type OpcuaTag } from '../../../shared/model/index.ts';
import { paint, printJson, UsageError } from '../../output.ts';
import { cancelOnSigint, progressBar } from '../../progress.ts';

export const OPCUA_HELP = `Usage: plantbench discover opcua <endpointUrl> [options]

With no option: the server's endpoints (security modes, policies, user tokens, certificate thumbprint),
then the Objects folder one level deep.

Options:
  --browse PATH|NODEID    Print the tree below a node: a path from Objects (Capper/Speed), an absolute
                          path (/Objects/Capper) or a node id (ns=1;s=Capper, nsu=<uri>;i=5, i=85).
  --depth N               Levels printed below it (default 1; with --crawl: everything).
  --crawl                 Crawl everything below --browse (default Objects) with progress; Ctrl-C stops.
  --budget N              At most N nodes in a crawl (default 100000).
  --attributes NODE       Every attribute of a node (node id or path; repeatable).
  --references NODE       Forward and inverse references of a node.
  --security-mode MODE    None (default), Sign or SignAndEncrypt.
  --security-policy P     Basic256Sha256 (default for Sign), Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss.
  --user NAME             Log in with a user name; the password is read from --password-env.
  --password-env VAR      Environment variable holding the password.
  --project DIR           The project: client PKI in .plantbench/pki, devices/ for --import
                          (default: the project folder containing the working directory).
  --import DEVICE_ID      Write the variables shown (or the --select ones) as tags of devices/<id>.yaml,
                          creating it with this endpoint and security when it does not exist.
  --select NODE           With --import: only this variable (repeatable).
  --to-simulator FILE     Crawl (below --browse, default Objects) and write a simulator profile
                          reproducing the variables, their types, EU, ranges and current values.
  --json                  Machine-readable output on stdout.
  -h, --help              This help.

Sign and SignAndEncrypt need the server certificate to be trusted: an unknown one is refused with
its thumbprint and kept in .plantbench/pki/rejected; trust it with "plantbench trust <project> <thumbprint>".

Exit code: 0 done, 1 the server is unreachable or refused us (certificate, user) or a node was not
found, 2 usage error, 130 a crawl cancelled with Ctrl-C (what it found is printed).
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean', default: false },
  browse: { type: 'string' },
  depth: { type: 'string' },
  crawl: { type: 'boolean', default: false },
  budget: { type: 'string' },
  attributes: { type: 'string', multiple: true },
  references: { type: 'string' },
  'security-mode': { type: 'string' },
  'security-policy': { type: 'string' },
  user: { type: 'string' },
  'password-env': { type: 'string' },
  project: { type: 'string' },
  import: { type: 'string' },
  select: { type: 'string', multiple: true },
  'to-simulator': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Lines of tree printed before "… N more" (everything is in --json). */
const MAX_TREE_LINES = 500;

function whole(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs a whole number of at least ${min}, got "${text}"`);
  return n;
}

function targetOf(url: string, values: Values): OpcuaTarget {
  const mode = values['security-mode'] ?? 'None';
  if (!(OPCUA_SECURITY_MODES as readonly string[]).includes(mode)) throw new UsageError(`--security-mode must be ${OPCUA_SECURITY_MODES.join(', ')}; got "${mode}"`);
  const policy = values['security-policy'] ?? (mode === 'None' ? 'None' : 'Basic256Sha256');
  if (!(OPCUA_SECURITY_POLICIES as readonly string[]).includes(policy)) throw new UsageError(`--security-policy must be ${OPCUA_SECURITY_POLICIES.join(', ')}; got "${policy}"`);
  let auth: OpcuaTarget['auth'] = { kind: 'anonymous' };
  if (values.user !== undefined) {
    const variable = values['password-env'];
    if (!variable) throw new UsageError('--user needs --password-env VAR: the environment variable that holds the password');
    const password = process.env[variable];
    if (password === undefined) throw new UsageError(`--password-env: the environment variable ${variable} is not set`);
    auth = { kind: 'username', username: values.user, password };
  } else if (values['password-env'] !== undefined) {
    throw new UsageError('--password-env goes with --user');
  }
  const parsed = opcuaTarget.safeParse({ endpointUrl: url, securityMode: mode, securityPolicy: policy, auth });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(issue.path[0] === 'endpointUrl' ? `"${url}": ${issue.message}` : `--security-mode ${mode} --security-policy ${policy}: ${issue.message}`);
  }
  return parsed.data;
}

// ---------- human output ----------

function formatValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
  if (Array.isArray(value)) return `[${value.length} items]`;
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}…` : json;
}

function printEndpoints(result: OpcuaEndpointsResult, project: string): void {
  const out: string[] = [];
  for (const s of result.servers) out.push(`${paint('bold', s.applicationName || s.applicationUri)}  ${paint('dim', `${s.applicationUri} (${s.applicationType})`)}`);
  out.push(paint('bold', `Endpoints (${result.endpoints.length})`));
  const width = Math.max(...result.endpoints.map((e) => `${e.securityMode} / ${e.securityPolicy}`.length), 0);
  for (const e of result.endpoints) {
    const tokens = [...new Set(e.userTokens.map((t) => t.tokenType))].join(', ');
    out.push(`  ${`${e.securityMode} / ${e.securityPolicy}`.padEnd(width)}  level ${String(e.securityLevel).padStart(3)}  ${tokens}  ${paint('dim', e.endpointUrl)}`);
  }
  const certificates = new Map(result.endpoints.flatMap((e) => (e.certificate ? [[e.certificate.thumbprint, e.certificate] as const] : [])));
  for (const c of certificates.values()) {
    const validity = c.notBefore && c.notAfter ? `valid ${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)}` : '';
    const trust = c.trusted ? paint('green', 'trusted') : paint('yellow', `not trusted: Sign and SignAndEncrypt refuse it until it is (plantbench trust ${project})`);
    out.push(`${paint('bold', 'Server certificate')}  SHA-1 ${c.thumbprint}`);
    out.push(`  ${c.subject}  ${paint('dim', validity)}  ${trust}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/** EURange and EngineeringUnits are shown on their variable's line. */
const isShownInline = (node: OpcuaCrawlNode, byId: ReadonlyMap<string, OpcuaCrawlNode>): boolean =>
  (node.browseName.name === 'EURange' || node.browseName.name === 'EngineeringUnits') && byId.get(node.parent ?? '')?.nodeClass === 'Variable';

function treeLine(node: OpcuaCrawlNode): string {
  const name = node.browseName.name;
  if (node.nodeClass !== 'Variable') {
    const more = node.hasChildren ? ' ▸' : '';
    const type = node.typeDefinitionName ? `  ${paint('dim', node.typeDefinitionName)}` : '';
    return `${paint('bold', name)}${more}  ${node.nodeClass}${type}  ${paint('dim', node.nodeId)}`;
  }
  const value = node.value ? (node.value.status === 'Good' ? formatValue(node.value.value) : paint('yellow', node.value.status)) : '';
  const unit = node.engineeringUnits?.displayName ? ` ${node.engineeringUnits.displayName}` : '';
  const range = node.euRange ? paint('dim', ` [${node.euRange.low} – ${node.euRange.high}]`) : '';
  const writable = node.accessLevel?.includes('CurrentWrite') ? paint('dim', ' (writable)') : '';
  const more = node.hasChildren ? ' ▸' : '';
  return `${name}${more}  ${node.dataType ?? 'Variable'}${value ? ` = ${value}${unit}` : ''}${range}${writable}  ${paint('dim', node.nodeId)}`;
}

function printTree(result: OpcuaCrawlResult): void {
  const byId = new Map(result.nodes.map((n) => [n.nodeId, n]));
  const children = new Map<string, OpcuaCrawlNode[]>();
  for (const n of result.nodes.slice(1)) {
    if (isShownInline(n, byId)) continue;
    const list = children.get(n.parent!) ?? [];
    list.push(n);
    children.set(n.parent!, list);
  }
  const lines: string[] = [];
  const root = result.nodes[0]!;
  lines.push(`${root.path}  ${paint('dim', root.nodeId)}`);
  let hidden = 0;
  const walk = (id: string, prefix: string): void => {
    const list = children.get(id) ?? [];
    list.forEach((n, i) => {
      const last = i === list.length - 1;
      if (lines.length < MAX_TREE_LINES) lines.push(`${prefix}${last ? '└─ ' : '├─ '}${treeLine(n)}`);
      else hidden++;
      walk(n.nodeId, `${prefix}${last ? '   ' : '│  '}`);
    });
  };
  walk(root.nodeId, '');
  if (hidden > 0) lines.push(paint('dim', `… ${hidden.toLocaleString('en-US')} more nodes (--json lists them all)`));
  process.stdout.write(`${lines.join('\n')}\n`);
}

function crawlSummary(result: OpcuaCrawlResult): string {
  const variables = result.nodes.filter((n) => n.nodeClass === 'Variable').length;
  const rate = result.durationMs > 0 ? `, ${Math.round((result.nodes.length / result.durationMs) * 1000).toLocaleString('en-US')} nodes/s` : '';
  const end = result.cancelled ? ' (cancelled)' : result.truncated ? ' (stopped at the budget: more nodes exist; raise --budget)' : '';
  return `${result.nodes.length.toLocaleString('en-US')} nodes (${variables.toLocaleString('en-US')} variables) in ${(result.durationMs / 1000).toFixed(1)} s${rate}${end}`;
}

function printAttributes(result: OpcuaAttributesResult): void {
  const lines: string[] = [];
  for (const n of result.nodes) {
    if (n.error) {
      lines.push(`${n.nodeId}  ${paint('red', n.error)}`);
      continue;
    }
    lines.push(`${paint('bold', n.displayName ?? n.browseName?.name ?? n.nodeId)}  ${n.nodeClass}  ${paint('dim', n.nodeId)}`);
    const row = (k: string, v: string | undefined): void => void (v !== undefined && v !== '' && lines.push(`  ${k.padEnd(24)}${v}`));
    row('BrowseName', n.browseName && `${n.browseName.namespaceIndex}:${n.browseName.name}`);
    row('Description', n.description);
    row('DataType', n.dataType && `${n.dataType} (${n.dataTypeId})`);
    row('ValueRank', n.valueRank === undefined ? undefined : `${n.valueRank}${n.valueRank === -1 ? ' (scalar)' : n.valueRank >= 1 ? ` (${n.valueRank}-dimensional array)` : ''}`);
    row('ArrayDimensions', n.arrayDimensions?.join(' × '));
    row('AccessLevel', n.accessLevel?.join(', '));
    row('UserAccessLevel', n.userAccessLevel?.join(', '));
    if (n.value) {
      const v = n.value;
      row('Value', `${formatValue(v.value)}${v.type ? paint('dim', ` (${v.type})`) : ''}  ${v.status === 'Good' ? v.status : paint('yellow', v.status)}`);
      row('SourceTimestamp', v.sourceTimestamp);
      row('ServerTimestamp', v.serverTimestamp);
    }
    row('EngineeringUnits', n.engineeringUnits && `${n.engineeringUnits.displayName} (unitId ${n.engineeringUnits.unitId})`);
    row('EURange', n.euRange && `${n.euRange.low} – ${n.euRange.high}`);
    row('MinimumSamplingInterval', n.minimumSamplingInterval === undefined ? undefined : `${n.minimumSamplingInterval} ms`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printReferences(result: OpcuaReferencesResult): void {
  const width = Math.max(0, ...result.references.map((r) => r.referenceType.length));
  const lines = [paint('bold', `References of ${result.nodeId} (${result.references.length})`)];
  for (const r of result.references) {
    lines.push(`  ${r.direction === 'forward' ? '→' : '←'} ${r.referenceType.padEnd(width)}  ${r.browseName.name}  ${r.nodeClass}  ${paint('dim', r.nodeId)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

// ---------- import and snapshot ----------

async function selectedVariables(browser: OpcuaBrowser, select: readonly string[]): Promise<OpcuaSelectedVariable[]> {
  const attributes = await browser.attributes(select);
  const out: OpcuaSelectedVariable[] = [];
  for (const [i, a] of attributes.nodes.entries()) {
    if (a.error) throw new SelectError(`--select ${select[i]}: ${a.error}`);
    if (a.nodeClass !== 'Variable') throw new SelectError(`--select ${select[i]}: ${a.nodeId} is ${a.nodeClass === 'Object' ? 'an' : 'a'} ${a.nodeClass}, not a variable`);
    const { path } = await browser.goto(a.nodeId);
    out.push({ nodeId: a.nodeId, path, ...(a.engineeringUnits ? { engineeringUnits: a.engineeringUnits } : {}) });
  }
  return out;
}

class SelectError extends Error {}

async function importTags(root: string, deviceId: string, target: OpcuaTarget, values: Values, selection: readonly OpcuaSelectedVariable[], namespaces: readonly string[]) {
  const { parseProjectFile } = await import('../../../store/project.ts');
  const { importDeviceTags } = await import('../../../store/project-writes.ts');
  const file = join(root, 'devices', `${deviceId}.yaml`);
  let existing: OpcuaTag[] = [];
  if (existsSync(file)) {
    const { entry } = parseProjectFile('device', relative(root, file), readFileSync(file, 'utf8'));
    if (entry.model?.protocol === 'opcua') existing = entry.model.tags;
  }
  const tags = opcuaTagsFromSelection(selection, { namespaces, existing });
  // The password never goes into the file: the device reads it from the same environment variable.
  const auth = target.auth.kind === 'username' ? { kind: 'username' as const, username: target.auth.username, password: `\${env:${values['password-env']}}` } : { kind: 'anonymous' as const };
  const create = {
    apiVersion: 'plantbench/v1' as const,
    kind: 'Device' as const,
    id: deviceId,
    protocol: 'opcua' as const,
    endpoint: target.endpointUrl,
    securityMode: target.securityMode,
    securityPolicy: target.securityPolicy,
    auth,
    publishingIntervalMs: 500,
    samplingIntervalMs: 250,
  };
  return importDeviceTags(root, deviceId, 'opcua', tags, { create });
}

// ---------- command ----------

export async function discoverOpcua(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  const attributes = values.attributes ?? [];
  const select = values.select ?? [];
  if (values.help) {
    process.stdout.write(OPCUA_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('discover opcua needs one endpoint URL, e.g. opc.tcp://192.168.1.20:4840');
  const target = targetOf(positionals[0]!, values);
  const depth = whole('depth', values.depth, 0);
  const budget = whole('budget', values.budget, 1);
  const toSimulator = values['to-simulator'];
  const simulatorId = toSimulator === undefined ? undefined : basename(toSimulator).replace(/\.ya?ml$/, '');
  if (simulatorId !== undefined && !idSchema.safeParse(simulatorId).success) {
    throw new UsageError(`--to-simulator: the file name "${basename(toSimulator!)}" must be <id>.yaml with an id of lowercase letters, digits and dashes`);
  }
  if (values.import !== undefined && !idSchema.safeParse(values.import).success) throw new UsageError(`--import: "${values.import}" is not a device id (lowercase letters, digits, dashes)`);
  if (select.length > 0 && values.import === undefined) throw new UsageError('--select goes with --import DEVICE_ID');
  if (depth !== undefined && values.browse === undefined && !values.crawl && toSimulator === undefined) throw new UsageError('--depth goes with --browse, --crawl or --to-simulator');

  // The project holds the PKI (trust decisions) and the devices; without one, None still works with a throwaway PKI.
  const { findProjectRoot } = await import('../../../store/project.ts');
  const root = findProjectRoot(resolve(values.project ?? process.cwd()));
  if (values.project !== undefined && !root) throw new UsageError(`--project: ${values.project} is not inside a project (no plantbench.yaml)`);
  if (!root && values.import !== undefined) throw new UsageError('--import needs a project: run inside a project folder or give --project DIR');
  if (!root && target.securityMode !== 'None') {
    throw new UsageError(`--security-mode ${target.securityMode} needs a project: its .plantbench/pki keeps the server certificates you trust (run inside a project or give --project DIR)`);
  }
  const scratch = root ? undefined : mkdtempSync(join(tmpdir(), 'plantbench-discover-'));
  const dataDir = root ? join(root, '.plantbench') : scratch!;
  const projectArg = root ? relative(process.cwd(), root) || '.' : '<project>';
  const env = { dataDir };
  const json: Record<string, unknown> = {};
  const say = (text: string): void => void (values.json ? undefined : process.stdout.write(`${text}\n`));
  const fail = (err: unknown): number => {
    const message = (err instanceof Error ? err.message : String(err)).replace('plantbench trust <project>', `plantbench trust ${projectArg}`);
    const thumbprint = (err as { thumbprint?: string }).thumbprint;
    if (values.json) printJson({ ...json, error: message, ...(thumbprint ? { thumbprint } : {}) });
    else process.stderr.write(`plantbench discover opcua: ${message}\n`);
    return 1;
  };

  let browser: OpcuaBrowser | undefined;
  const sigint = cancelOnSigint();
  let code = 0;
  try {
    const showTree = values.browse !== undefined || values.crawl || toSimulator !== undefined || (attributes.length === 0 && values.references === undefined && select.length === 0);
    const onlyDefault = values.browse === undefined && !values.crawl && toSimulator === undefined && attributes.length === 0 && values.references === undefined && values.import === undefined;
    if (onlyDefault) {
      const endpoints = await getOpcuaEndpoints(target.endpointUrl, env);
      json.endpoints = endpoints;
      if (!values.json) printEndpoints(endpoints, projectArg);
      say('');
    }
    browser = await openOpcuaBrowser(target, env);
    if (attributes.length > 0) {
      const result = await browser.attributes(attributes);
      json.attributes = result;
      if (!values.json) printAttributes(result);
      if (result.nodes.some((n) => n.error)) code = 1;
    }
    if (values.references !== undefined) {
      const result = await browser.references(values.references);
      json.references = result;
      if (!values.json) printReferences(result);
    }
    let tree: OpcuaCrawlResult | undefined;
    if (showTree) {
      const crawlAll = values.crawl || toSimulator !== undefined;
      const bar = values.json || !crawlAll ? undefined : progressBar('crawl');
      tree = await browser.crawl(
        { root: values.browse ?? 'i=85', maxDepth: depth ?? (crawlAll ? 1000 : 1), ...(budget !== undefined ? { budget } : {}) },
        { signal: sigint.signal, ...(bar ? { onProgress: bar.update } : {}) },
      );
      bar?.done();
      json.tree = tree;
      if (!values.json) {
        printTree(tree);
        if (crawlAll) say(paint('dim', crawlSummary(tree)));
      }
      if (tree.error) return fail(new Error(`${target.endpointUrl}: the crawl stopped: ${tree.error}`));
      if (tree.cancelled) code = 130;
    }
    if (toSimulator !== undefined && tree) {
      const { writeSimulatorProfile } = await import('../../../store/project-writes.ts');
      const snapshot = opcuaSnapshot(tree, { id: simulatorId!, ...(values.import ? { device: values.import } : {}) });
      writeSimulatorProfile(toSimulator, snapshot.profile);
      json.snapshot = { file: toSimulator, variables: snapshot.profile.variables.length, notes: snapshot.notes };
      say(`${toSimulator}: simulator "${simulatorId}" with ${snapshot.profile.variables.length} variables`);
      for (const note of snapshot.notes) say(paint('dim', `  ${note}`));
    }
    if (values.import !== undefined && root) {
      const selection = select.length > 0 ? await selectedVariables(browser, select) : tree ? importableVariables(tree.nodes) : [];
      const result = await importTags(root, values.import, target, values, selection, browser.info.namespaces);
      json.imported = result;
      const parts = [`${result.added.length} added`, `${result.unchanged.length} unchanged`, ...(result.skipped.length ? [`${result.skipped.length} skipped (a tag of that name differs: ${result.skipped.join(', ')})`] : [])];
      say(`${result.file}: ${result.created ? 'created, ' : ''}${parts.join(', ')}`);
    }
    if (values.json) printJson(json);
    return code;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return fail(err);
  } finally {
    sigint.dispose();
    await browser?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
