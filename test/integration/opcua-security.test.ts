// Security modes, policies, user names and the explicit certificate trust decision, against the
// simulator's real node-opcua server on 127.0.0.1.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { trust } from '../../src/cli/commands/trust.ts';
import { listCertificates, trustCertificate } from '../../src/connectors/opcua/index.ts';
import type { RunningOpcuaSimulator } from '../../src/simulators/opcua/index.ts';
import { cleanupTempDirs, opcuaDevice, startOpcuaRun, startSim, tempDir, type OpcuaRun } from '../helpers/opcua.ts';
import { waitFor } from '../helpers/wait.ts';

const VARIABLES = [{ path: 'Line/Speed', dataType: 'Double', value: 42 }];
const TAGS = [{ name: 'speed', nodeId: 'ns=1;s=Line.Speed' }];

let sim: RunningOpcuaSimulator;
const runs: OpcuaRun[] = [];

beforeAll(async () => {
  sim = await startSim({ variables: VARIABLES }, { users: [{ username: 'operator', password: 's3cret' }] });
});
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});
afterAll(async () => {
  await sim.stop();
  cleanupTempDirs();
});

async function source(fields: Record<string, unknown>, dataDir?: string): Promise<OpcuaRun> {
  const live = await startOpcuaRun(
    { src: { type: 'opcua-source', config: { device: 'plc' } } },
    [],
    [opcuaDevice('plc', { endpoint: sim.endpoint, publishingIntervalMs: 50, samplingIntervalMs: 0, tags: TAGS, ...fields })],
    ['src.out', 'src.error'],
    dataDir,
  );
  runs.push(live);
  return live;
}

const connected = (live: OpcuaRun) => () => live.out['src.out']!.some((s) => s.quality === 'good' && s.value === 42);
const lastError = (live: OpcuaRun): string => String(live.stats('src').status?.lastError ?? '');

/** A project's .plantbench folder in which the simulator's certificate is already trusted. */
async function trustingDataDir(): Promise<string> {
  const dataDir = join(tempDir(), '.plantbench');
  const first = await source({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }, dataDir);
  await waitFor('the rejection', () => lastError(first).includes(sim.certificate.thumbprint));
  await first.stop();
  trustCertificate(dataDir, sim.certificate.thumbprint.slice(0, 12));
  return dataDir;
}

describe('OPC UA security', () => {
  it('connects with security mode None, without checking the server certificate', async () => {
    const live = await source({ securityMode: 'None', securityPolicy: 'None' });
    await waitFor('a good value', connected(live));
    expect(live.stats('src').status).toMatchObject({ connection: 'connected' });
  });

  it('rejects an unknown server certificate with its thumbprint, records it, and connects once it is trusted', async () => {
    const project = tempDir();
    const dataDir = join(project, '.plantbench');
    const live = await source({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }, dataDir);
    await waitFor('the rejection', () => lastError(live).length > 0);
    const message = lastError(live);
    expect(message).toContain(sim.endpoint);
    expect(message).toContain(`SHA-1 thumbprint ${sim.certificate.thumbprint}`);
    expect(message).toContain(sim.certificate.subject);
    expect(live.stats('src').status).toMatchObject({ connection: 'disconnected' });
    // Downstream learns that the tags have no value.
    expect(live.out['src.out']).toEqual([expect.objectContaining({ path: 'plc/speed', quality: 'bad', value: null, status: expect.objectContaining({ text: 'not connected' }) })]);
    // Recorded in the PKI's rejected folder, and nothing in the trust list.
    const rejected = readdirSync(join(dataDir, 'pki', 'rejected'));
    expect(rejected).toHaveLength(1);
    expect(listCertificates(dataDir)).toMatchObject({ rejected: [{ thumbprint: sim.certificate.thumbprint }], trusted: [] });
    expect(existsSync(join(dataDir, 'pki', 'own', 'certs', 'client_certificate.pem'))).toBe(true);
    await live.stop();

    // plantbench trust <project> --list --json, then plantbench trust <project> <prefix>
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    try {
      expect(await trust(project, undefined, { json: true, list: true })).toBe(0);
      expect(JSON.parse(out.join(''))).toMatchObject({ certificates: { rejected: [{ thumbprint: sim.certificate.thumbprint, subject: sim.certificate.subject }], trusted: [] } });
      out.length = 0;
      expect(await trust(project, sim.certificate.thumbprint.slice(0, 8), { json: true, list: false })).toBe(0);
      expect(JSON.parse(out.join(''))).toMatchObject({ trusted: { thumbprint: sim.certificate.thumbprint, status: 'trusted' } });
    } finally {
      write.mockRestore();
    }
    expect(listCertificates(dataDir)).toMatchObject({ rejected: [], trusted: [{ thumbprint: sim.certificate.thumbprint }] });

    const again = await source({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }, dataDir);
    await waitFor('a good value over SignAndEncrypt', connected(again));
    expect(again.stats('src').status).toMatchObject({ connection: 'connected' });
    expect(again.stats('src').status?.lastError).toBeUndefined();
  });

  it('refuses a malformed, unknown or ambiguous thumbprint', async () => {
    const project = tempDir();
    const errors: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (errors.push(String(chunk)), true));
    try {
      expect(await trust(project, 'abc', { json: false, list: false })).toBe(2);
      expect(await trust(project, 'deadbeefdeadbeef', { json: false, list: false })).toBe(1);
    } finally {
      write.mockRestore();
    }
    expect(errors.join('')).toContain('give at least 8 hex digits');
    expect(errors.join('')).toContain('no rejected certificate has a thumbprint starting with deadbeefdeadbeef');
  });

  describe('with the server certificate trusted', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await trustingDataDir();
    });

    for (const [mode, policy] of [
      ['Sign', 'Basic256Sha256'],
      ['SignAndEncrypt', 'Basic256Sha256'],
      ['Sign', 'Aes256_Sha256_RsaPss'],
      ['SignAndEncrypt', 'Aes256_Sha256_RsaPss'],
      ['SignAndEncrypt', 'Aes128_Sha256_RsaOaep'],
    ] as const) {
      it(`connects with ${mode} / ${policy}`, async () => {
        const live = await source({ securityMode: mode, securityPolicy: policy }, dataDir);
        await waitFor(`a good value over ${mode}/${policy}`, connected(live));
      });
    }

    it('logs in with a user name and password', async () => {
      // Devices reach the connector with secrets resolved; the file holds only ${secret:NAME}.
      const live = await startOpcuaRun(
        { src: { type: 'opcua-source', config: { device: 'plc' } } },
        [],
        [
          {
            ...opcuaDevice('plc', { endpoint: sim.endpoint, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', tags: TAGS }),
            auth: { kind: 'username', username: 'operator', password: 's3cret' },
          },
        ],
        ['src.out'],
        dataDir,
      );
      runs.push(live);
      await waitFor('a good value as operator', connected(live));
    });

    it('rejects a wrong password with a message naming the endpoint and the user', async () => {
      const live = await startOpcuaRun(
        { src: { type: 'opcua-source', config: { device: 'plc' } } },
        [],
        [
          {
            ...opcuaDevice('plc', { endpoint: sim.endpoint, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', tags: TAGS }),
            auth: { kind: 'username', username: 'operator', password: 'wrong' },
          },
        ],
        ['src.out'],
        dataDir,
      );
      runs.push(live);
      await waitFor('the rejection', () => lastError(live).length > 0);
      expect(lastError(live)).toMatch(new RegExp(`^${sim.endpoint}: user "operator" was rejected by the server \\(Bad\\w+\\): check the user name and password$`));
      expect(live.stats('src').status).toMatchObject({ connection: 'disconnected' });
      expect(live.out['src.out']!.every((s) => s.quality === 'bad')).toBe(true);
    });
  });

  it('logs in with a user name over security mode None, and says when anonymous access is refused', async () => {
    const closed = await startSim({ variables: VARIABLES }, { users: [{ username: 'operator', password: 's3cret' }], allowAnonymous: false });
    try {
      const device = opcuaDevice('plc', { endpoint: closed.endpoint, tags: TAGS });
      const asUser = await startOpcuaRun({ src: { type: 'opcua-source', config: { device: 'plc' } } }, [], [{ ...device, auth: { kind: 'username', username: 'operator', password: 's3cret' } }], ['src.out']);
      runs.push(asUser);
      await waitFor('a good value as operator', () => asUser.out['src.out']!.some((s) => s.quality === 'good'));
      const anonymous = await startOpcuaRun({ src: { type: 'opcua-source', config: { device: 'plc' } } }, [], [device], ['src.out']);
      runs.push(anonymous);
      await waitFor('the refusal', () => lastError(anonymous).length > 0);
      expect(lastError(anonymous)).toBe(`${closed.endpoint}: the server does not accept anonymous access on its None/None endpoint: set the device auth to a user name and password`);
    } finally {
      for (const r of runs.splice(0)) await r.stop();
      await closed.stop();
    }
  });

  it('says which endpoints the server offers when the device asks for one it does not', async () => {
    const other = await startSim({ variables: VARIABLES }, { securityModes: ['None'] });
    try {
      const live = await startOpcuaRun(
        { src: { type: 'opcua-source', config: { device: 'plc' } } },
        [],
        [opcuaDevice('plc', { endpoint: other.endpoint, securityMode: 'Sign', securityPolicy: 'Basic256Sha256', tags: TAGS })],
        ['src.out'],
      );
      runs.push(live);
      await waitFor('an error', () => lastError(live).length > 0);
      expect(lastError(live)).toBe(`${other.endpoint}: the server offers no Sign/Basic256Sha256 endpoint (it offers None/None)`);
    } finally {
      await other.stop();
    }
  });
});
