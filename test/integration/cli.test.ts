import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { copyExample, EXAMPLE } from '../helpers/project.ts';
import { makeTestPki } from '../helpers/tls.ts';

// The real `plantbench` command in a child process, started with the system's `node` from PATH
// as a user would (bin/plantbench.js re-runs itself on Node 22 when that node is older).
const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;
const SIGNAL_LINE = new URL('../fixtures/signal-line/', import.meta.url).pathname;

function plantbench(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let project: ReturnType<typeof copyExample> | undefined;
afterEach(() => project?.dispose());

describe('plantbench validate', () => {
  it('accepts the example project', () => {
    const { code, stdout } = plantbench(['validate', EXAMPLE]);
    expect(stdout).toMatch(/^\d+ file\(s\) checked, 0 problem\(s\)$/m);
    expect(code).toBe(0);
  });

  it('fails a broken copy with file:line:col field.path: message, relative to the working directory', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('rawHigh: 500', 'rawHigh: "500"').replace('{ from: level, to: level-pct }', '{ from: level, to: level-pcts }'));
    project.edit('devices/filler.yaml', (t) => t.replace('unitId: 1', 'unitId: 1\nunitid: 2'));
    const { code, stdout } = plantbench(['validate', '.'], { cwd: project.root });
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toEqual([
      'devices/filler.yaml:8:1 unitid: unknown field "unitid"',
      'pipelines/filler-uns.yaml:32:16 nodes["level-pct"].config.rawHigh: Invalid input: expected number, received string',
      '16 file(s) checked, 2 problem(s)',
    ]);
  });

  it('validates single files: inside a project with its references, outside by schema alone', () => {
    project = copyExample();
    project.edit('pipelines/capper-uns.yaml', (t) => t.replace('device: capper', 'device: caper'));
    const inside = plantbench(['validate', `${project.root}/pipelines/capper-uns.yaml`, `${project.root}/devices/filler.yaml`, '--json']);
    expect(inside.code).toBe(1);
    const report = JSON.parse(inside.stdout) as { valid: boolean; problems: { file: string; line: number; message: string }[] };
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => p.message)).toEqual(['device "caper" does not exist (no devices/caper.yaml)']);
    expect(report.problems[0]!.file).toMatch(/pipelines\/capper-uns\.yaml$/);

    project.write('/../loose-device.yaml', 'apiVersion: plantbench/v1\nkind: Device\nid: x\nprotocol: modbus\ntransport: { kind: tcp, host: plc }\ntags: [{ name: t, area: coil, address: 1, type: int16 }]\n');
    const loose = plantbench(['validate', `${project.root}/../loose-device.yaml`]);
    expect(loose.code).toBe(1);
    expect(loose.stdout).toMatch(/loose-device\.yaml:6:\d+ tags\[0\]\.type: a coil holds one bit: type must be bool/);
  });

  it('refuses a project whose unresolved secrets are asked for with --check-secrets', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('device: uns-broker', 'device: enterprise-broker'));
    const { code, stdout } = plantbench(['validate', project.root, '--check-secrets'], { env: { UNS_USERNAME: 'line1' } });
    expect(code).toBe(1);
    expect(stdout).toMatch(/devices\/enterprise-broker\.yaml:10:11 password: unresolved \$\{secret:UNS_PASSWORD\}/);
    const ok = plantbench(['validate', project.root, '--check-secrets'], { env: { UNS_USERNAME: 'line1', PLANTBENCH_SECRET_UNS_PASSWORD: 's3cret' } });
    expect(ok.code).toBe(0);
  });
});

describe('plantbench test', () => {
  it('passes the example project and ends with the N passed, N failed line', () => {
    const { code, stdout } = plantbench(['test', EXAMPLE]);
    const last = stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^(\d+) passed, 0 failed$/);
    expect(Number(last.split(' ')[0])).toBeGreaterThanOrEqual(6);
    expect(code).toBe(0);
  });

  it('prints a diff for a failing case and exits 1', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('engHigh: 100\n', 'engHigh: 1000\n'));
    const { code, stdout } = plantbench(['test', project.root]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ /);
    expect(stdout).toMatch(/^\s+- #1 .*"value":50/m);
    expect(stdout).toMatch(/^\s+\+ #1 .*"value":500/m);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, [1-9]\d* failed$/);
  });

  it('does not run tests of an invalid project, and says why', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('type: deadband', 'type: deadbnad'));
    const { code, stderr } = plantbench(['test', project.root]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/pipelines\/filler-uns\.yaml:\d+:\d+ nodes\["level-band"\]\.type: unknown node type "deadbnad"/);
    expect(stderr).toMatch(/the project has problems; tests not run/);
  });
});

describe('plantbench run', () => {
  it('runs a pipeline and logs JSON lines until its duration ends', () => {
    const { code, stdout } = plantbench(['run', SIGNAL_LINE, '--json', '--duration', '300']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { message: string; node?: string; fields?: Record<string, unknown> });
    expect(lines[0]).toMatchObject({ message: 'started', fields: { pipelines: ['tank'] } });
    const samples = lines.filter((l) => l.node === 'out');
    expect(samples.length).toBeGreaterThan(3);
    expect(samples[0]!.fields).toMatchObject({ path: 'acme/test/lab/tank/level', quality: 'good', unit: '%' });
    expect(lines.at(-1)).toMatchObject({ message: 'stopped' });
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'run', SIGNAL_LINE, '--json'], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((ready) => {
      const check = (): void => void (out.includes('"node":"out"') ? ready() : setTimeout(check, 20));
      check();
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code).toBe(0);
    const last = JSON.parse(out.trim().split('\n').at(-1)!) as { message: string; fields: { stats: Record<string, Record<string, { in: number; out: number }>> } };
    expect(last.message).toBe('stopped');
    const stats = last.fields.stats.tank!;
    // Drained: everything the source emitted reached the log sink.
    expect(stats.out!.in).toBe(stats.level!.out);
  });

  it('refuses to start while a secret it needs is unresolved, naming file, line and field', () => {
    project = copyExample();
    project.edit('pipelines/filler-uns.yaml', (t) => t.replace('device: uns-broker', 'device: enterprise-broker'));
    const { code, stderr } = plantbench(['run', project.root, '--pipeline', 'filler-uns'], { env: { UNS_USERNAME: '' } });
    expect(code).toBe(1);
    expect(stderr).toMatch(/devices\/enterprise-broker\.yaml:10:11 password: unresolved \$\{secret:UNS_PASSWORD\}/);
    expect(stderr).toMatch(/not started: \d+ problem\(s\)/);
  });

  it('names an unknown pipeline', () => {
    const { code, stderr } = plantbench(['run', SIGNAL_LINE, '--pipeline', 'nope']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/no pipeline "nope" in this project/);
  });
});

describe('plantbench usage', () => {
  it('prints help, and usage errors exit 2', () => {
    expect(plantbench(['--help']).stdout).toMatch(/^Usage: plantbench <command>/m);
    const bad = plantbench(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "frobnicate"/);
    expect(plantbench(['run', SIGNAL_LINE, '--duration', 'soon']).stderr).toMatch(/--duration needs a whole number/);
  });
});

describe('plantbench serve', () => {
  /** Starts `plantbench serve` on a copy of the example; resolves with the --json line. */
  async function serveCopy(args: string[]): Promise<{ child: ReturnType<typeof spawn>; url: string; stop(): Promise<void> }> {
    project = copyExample();
    const child = spawn(process.execPath, [BIN, 'serve', project.root, '--json', ...args], { env: { ...process.env, NO_COLOR: '1' } });
    const line = await new Promise<string>((ok, fail) => {
      child.stdout.once('data', (d: Buffer) => ok(d.toString()));
      child.once('exit', (code) => fail(new Error(`serve exited with ${code}`)));
    });
    const { url } = JSON.parse(line) as { url: string };
    return {
      child,
      url,
      stop: async () => {
        child.kill('SIGTERM');
        if (child.exitCode === null) await new Promise((done) => child.on('exit', done));
      },
    };
  }

  it('serves the workbench on loopback only with the printed token', async () => {
    const served = await serveCopy([]);
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{24}$/);
      const first = await fetch(served.url, { redirect: 'manual' });
      expect(first.status).toBe(303);
      expect(first.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
      const denied = await fetch(served.url.replace(/token=.*/, 'token=wrong'));
      expect(denied.status).toBe(401);
      expect(await denied.text()).toContain('plantbench serve');
    } finally {
      await served.stop();
    }
    expect(served.child.exitCode).toBe(0);
  });

  it('refuses a non-loopback bind without --allow-remote and TLS', () => {
    const bare = plantbench(['serve', EXAMPLE, '--host', '0.0.0.0']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/--host 0\.0\.0\.0 is not a loopback address: add --allow-remote, with --tls-cert FILE and --tls-key FILE/);
    const noTls = plantbench(['serve', EXAMPLE, '--host', '0.0.0.0', '--allow-remote']);
    expect(noTls.code).toBe(2);
    expect(noTls.stderr).toMatch(/--allow-remote needs --tls-cert FILE and --tls-key FILE/);
  });

  it('checks the TLS options before it starts anything', async () => {
    // In-process: these are refused before the host loads (the command maps UsageError to exit 2).
    const { serve } = await import('../../src/cli/commands/serve.ts');
    const base = { host: '127.0.0.1', port: 0, allowRemote: false, json: true, simulate: false };
    await expect(serve(EXAMPLE, { ...base, tlsCert: 'server.crt' })).rejects.toThrow(/--tls-cert and --tls-key go together/);
    await expect(serve(EXAMPLE, { ...base, tlsCert: '/nonexistent/server.crt', tlsKey: '/nonexistent/server.key' })).rejects.toThrow(
      /--tls-cert \/nonexistent\/server\.crt: cannot read it: ENOENT/,
    );
  });

  it('serves https (and wss) with --tls-cert and --tls-key', async () => {
    const pki = makeTestPki();
    try {
      const served = await serveCopy(['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey]);
      try {
        expect(served.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\?token=/);
        const res = await new Promise<{ status?: number; cookie: string }>((ok, fail) =>
          httpsGet(served.url, { ca: readFileSync(pki.ca) }, (r) => {
            r.resume();
            ok({ status: r.statusCode, cookie: String(r.headers['set-cookie']) });
          }).on('error', fail),
        );
        expect(res.status).toBe(303);
        expect(res.cookie).toMatch(/; Secure/);
      } finally {
        await served.stop();
      }
    } finally {
      pki.dispose();
    }
  });
});

describe('started by an older Node', () => {
  const systemNode = '/usr/bin/node';
  const version = spawnSync(systemNode, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const older = /^v(1\d|2[01])\./.test(version) || /^v22\.(\d|1[0-7])\./.test(version);
  // Runs where the system Node is older than 22.18 (as on these machines); elsewhere there is nothing to show.
  it.runIf(older)(`re-runs itself on the project's Node 22 (system node ${version || 'missing'})`, () => {
    const result = spawnSync(systemNode, [BIN, 'validate', EXAMPLE], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', PATH: '/usr/bin:/bin' } });
    expect(result.stdout).toMatch(/0 problem\(s\)/);
    expect(result.status).toBe(0);
  });
});

describe('plantbench trust', () => {
  it('lists the certificates seen and refuses what is not a thumbprint', () => {
    project = copyExample();
    const listing = plantbench(['trust', project.root, '--json']);
    expect(listing.code).toBe(0);
    expect(JSON.parse(listing.stdout)).toMatchObject({ certificates: { rejected: [], trusted: [] } });
    const bad = plantbench(['trust', project.root, 'zz-not-hex']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a SHA-1 thumbprint/);
    const unknown = plantbench(['trust', project.root, 'deadbeefdeadbeef']);
    expect(unknown.code).toBe(1);
  });
});
