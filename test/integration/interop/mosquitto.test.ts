// The MQTT connector against programs we did not write: Debian's mosquitto broker (MQTT 3.1.1 and
// 5, TLS and mutual TLS with openssl-made certificates), mosquitto_sub and mosquitto_pub.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import spPayload from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type { Sample } from '../../../src/shared/sample.ts';
import { cleanupAfterEach } from '../../helpers/cleanups.ts';
import type { LiveRun } from '../../helpers/live-run.ts';
import { passwordConfig, startMosquitto, type Mosquitto } from '../../helpers/mosquitto.ts';
import { mqttDevice, startMqttRun, testClient } from '../../helpers/mqtt.ts';
import { makeTestPki, type TestPki } from '../../helpers/tls.ts';
import { waitFor } from '../../helpers/wait.ts';

const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';
const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';

const cleanups = cleanupAfterEach();
const live = cleanups.track(startMqttRun, (run) => run.stop());
const client = cleanups.track(testClient, (c) => c.end());

async function mosquitto(extraConfig?: string): Promise<Mosquitto> {
  const m = await startMosquitto(extraConfig ? { extraConfig } : {});
  cleanups.push(() => m.stop());
  return m;
}

function pki(): TestPki {
  const p = makeTestPki();
  cleanups.push(() => p.dispose());
  return p;
}

function requireClients(): void {
  for (const bin of [MOSQUITTO_SUB, MOSQUITTO_PUB]) {
    if (!existsSync(bin)) throw new Error(`${bin} not found: install the Debian package "mosquitto-clients"`);
  }
}

/**
 * A mosquitto_sub child whose output lines are collected; stopped after the test. It also listens
 * to a probe topic, published until it shows up: then we know it has subscribed.
 */
async function mosquittoSub(broker: Mosquitto, args: string[]): Promise<string[]> {
  requireClients();
  const probe = `probe/${process.pid}/${Date.now()}`;
  const child: ChildProcessWithoutNullStreams = spawn(MOSQUITTO_SUB, ['-h', broker.host, '-p', String(broker.port), ...args, '-t', probe]);
  cleanups.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((done) => child.once('exit', done));
    }
  });
  const lines: string[] = [];
  let ready = false;
  let rest = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      if (line.startsWith(probe)) ready = true;
      else lines.push(line);
    }
  });
  const prober = await testClient(broker.url);
  try {
    await waitFor('mosquitto_sub to subscribe', () => {
      if (!ready) void prober.publish(probe, 'ready', { qos: 0 });
      return ready;
    });
  } finally {
    await prober.end();
  }
  return lines;
}

function mosquittoPub(broker: Mosquitto, args: string[]): void {
  requireClients();
  const r = spawnSync(MOSQUITTO_PUB, ['-h', broker.host, '-p', String(broker.port), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mosquitto_pub failed: ${r.stderr}`);
}

const IDLE_SOURCE = { type: 'signal', config: { path: 'idle', intervalMs: 3_600_000, shape: { kind: 'sine' } } };
const sample = (path: string, value: Sample['value'], extra: Partial<Sample> = {}): Sample => ({ path, value, quality: 'good', ts: 1_700_000_000_000, ...extra });

async function sinkRun(device: ReturnType<typeof mqttDevice>, config: Record<string, unknown>): Promise<LiveRun> {
  return live({ src: IDLE_SOURCE, sink: { type: 'mqtt-sink', config: { device: device.id, ...config } } }, [{ from: 'src', to: 'sink' }], [device], ['sink.error']);
}

describe('mosquitto: MQTT 5 and 3.1.1', () => {
  it('publishes with MQTT 5 properties that an MQTT 5 subscriber sees', async () => {
    const broker = await mosquitto();
    const v5 = await client(broker.url, ['acme/#'], { protocolVersion: 5 });
    const device = mqttDevice('uns', { url: broker.url, protocolVersion: 5 });
    const run = await sinkRun(device, {
      qos: 1,
      properties: { messageExpiryInterval: 3600, contentType: 'application/json', userProperties: { site: 'dortmund', source: 'plantbench' } },
    });
    run.send('sink', [sample('acme/dortmund/filler/level', 52.5, { meta: { unit: '%' } })]);
    await waitFor('the message', () => v5.received.length >= 1);
    const { packet, payload } = v5.received[0]!;
    expect(JSON.parse(payload.toString())).toEqual({ value: 52.5, quality: 'good', ts: 1_700_000_000_000, unit: '%' });
    expect(packet.properties?.contentType).toBe('application/json');
    expect(packet.properties?.userProperties).toEqual({ site: 'dortmund', source: 'plantbench' });
    expect(packet.properties?.messageExpiryInterval).toBeGreaterThan(3500);
    expect(run.stats('sink').status).toMatchObject({ connection: 'connected', protocolVersion: 5 });
    expect(run.stats('sink').status?.fallback).toBeUndefined();
  });

  it('publishes with MQTT 3.1.1 when the device says so, without properties', async () => {
    const broker = await mosquitto();
    const v5 = await client(broker.url, ['acme/#'], { protocolVersion: 5 });
    const device = mqttDevice('uns', { url: broker.url, protocolVersion: 4 });
    const run = await sinkRun(device, { qos: 2, properties: { contentType: 'application/json', userProperties: { a: 'b' } } });
    run.send('sink', [sample('acme/x', 1), sample('acme/y', 2)]);
    await run.run.settle();
    await waitFor('the messages', () => v5.received.length >= 2);
    expect(v5.received.map((r) => r.packet.properties?.userProperties)).toEqual([undefined, undefined]);
    expect(v5.received.map((r) => r.packet.properties?.contentType)).toEqual([undefined, undefined]);
    await waitFor('both PUBCOMPs', () => run.stats('sink').status?.published === 2);
    expect(run.stats('sink').status).toMatchObject({ protocolVersion: 4 });
  });

  it('is heard by mosquitto_sub: JSON UNS topics', async () => {
    const broker = await mosquitto();
    const lines = await mosquittoSub(broker, ['-t', 'acme/#', '-v']);
    const device = mqttDevice('uns', { url: broker.url });
    const run = await sinkRun(device, { topic: '{enterprise}/{site}/{area}/{line}/{tag}' });
    run.send('sink', [sample('filler/level', 50.25, { meta: { unit: '%' } }), sample('filler/running', true)]);
    await waitFor('two lines', () => lines.length >= 2);
    expect(lines).toEqual([
      'acme/plant1/packaging/line1/level {"value":50.25,"quality":"good","ts":1700000000000,"unit":"%"}',
      'acme/plant1/packaging/line1/running {"value":true,"quality":"good","ts":1700000000000}',
    ]);
  });

  it('is heard by mosquitto_sub: Sparkplug B births and data', async () => {
    const broker = await mosquitto();
    const lines = await mosquittoSub(broker, ['-t', 'spBv1.0/#', '-F', '%t %x']);
    const device = mqttDevice('uns', { url: broker.url });
    const run = await sinkRun(device, { payload: { format: 'sparkplug', groupId: 'dortmund-packaging', edgeNodeId: 'line-1', deviceId: 'palletizer' } });
    run.send('sink', [{ path: 'palletizer', value: { layer: 3, mode: 'auto', pallets: 10 }, quality: 'good', ts: 1000 }]);
    run.send('sink', [{ path: 'palletizer', value: { layer: 4, mode: 'auto', pallets: 10 }, quality: 'good', ts: 2000 }]);
    await waitFor('NBIRTH, DBIRTH, DDATA', () => lines.length >= 3);
    const decoded = lines.map((l) => {
      const [topic, hex] = l.split(' ') as [string, string];
      return { topic, payload: spPayload.decodePayload(Buffer.from(hex, 'hex')) };
    });
    expect(decoded.map((d) => d.topic)).toEqual([
      'spBv1.0/dortmund-packaging/NBIRTH/line-1',
      'spBv1.0/dortmund-packaging/DBIRTH/line-1/palletizer',
      'spBv1.0/dortmund-packaging/DDATA/line-1/palletizer',
    ]);
    expect(decoded[1]!.payload.metrics!.map((m) => [m.name, m.type, m.value])).toEqual([
      ['palletizer/layer', 'Double', 3],
      ['palletizer/mode', 'String', 'auto'],
      ['palletizer/pallets', 'Double', 10],
    ]);
    expect(decoded[2]!.payload.metrics!.map((m) => [m.name, Number(m.alias), m.value])).toEqual([
      [undefined, 1, 4],
      [undefined, 2, 'auto'],
      [undefined, 3, 10],
    ]);
  });

  it('reads what mosquitto_pub publishes, over MQTT 3.1.1 and 5', async () => {
    const broker = await mosquitto();
    const device = mqttDevice('plc', {
      url: broker.url,
      tags: [
        { name: 'temp', topic: 'plc/+/status', payload: { format: 'json', field: 'temp' }, unit: '°C' },
        { name: 'speed', topic: 'plc/speed', payload: { format: 'raw' } },
      ],
    });
    const run = await live({ src: { type: 'mqtt-source', config: { device: 'plc', qos: 2 } } }, [], [device], ['src.out', 'src.error']);
    await waitFor('connected', () => run.stats('src').status?.connection === 'connected');
    mosquittoPub(broker, ['-t', 'plc/oven/status', '-q', '1', '-m', '{"temp": 181.5, "ts": 1700000000000}']);
    mosquittoPub(broker, ['-V', 'mqttv5', '-t', 'plc/speed', '-q', '2', '-m', '1200']);
    mosquittoPub(broker, ['-V', 'mqttv311', '-t', 'plc/oven/status', '-m', 'oops']);
    await waitFor('two samples and one error', () => run.out['src.out']!.length >= 2 && run.out['src.error']!.length >= 1);
    expect(run.out['src.out']!.map((s) => [s.path, s.value, s.meta?.unit])).toEqual([
      ['plc/temp/oven', 181.5, '°C'],
      ['plc/speed', 1200, undefined],
    ]);
    expect(run.out['src.out']![0]!.ts).toBe(1_700_000_000_000);
    expect(run.out['src.error']![0]!.error!.message).toMatch(new RegExp(`^${broker.url} topic "plc/oven/status": invalid JSON`));
    expect(run.stats('src').status).toMatchObject({ protocolVersion: 5 });
  });
});

describe('mosquitto: username and password', () => {
  it('logs in with username and password, and names a refused login clearly', async () => {
    const passwords = passwordConfig('line1', 's3cret');
    cleanups.push(() => passwords.dispose());
    const broker = await mosquitto(passwords.config);
    const peer = await client(broker.url, ['line/#'], { username: 'line1', password: 's3cret' });
    // The device as a run hands it over: the ${secret:…} in the file already resolved.
    const device = { ...mqttDevice('uns', { url: broker.url, username: 'line1', password: '${secret:UNS_PASSWORD}' }), password: 's3cret' } as ReturnType<typeof mqttDevice>;
    const ok = await sinkRun(device, {});
    ok.send('sink', [sample('line/speed', 1)]);
    await waitFor('the message', () => peer.received.length >= 1);
    const bad = await sinkRun({ ...device, id: 'uns2', password: 'wrong' } as ReturnType<typeof mqttDevice>, {});
    await waitFor('refused', () => bad.stats('sink').status?.lastError !== undefined);
    expect(bad.stats('sink').status?.lastError).toBe(`${broker.url}: not authorized: check username and password and the broker ACL (Connection refused: Not authorized)`);
    expect(bad.stats('sink').status?.connection).not.toBe('connected');
  });
});

describe('mosquitto: TLS', () => {
  function tlsConfig(p: TestPki, requireCertificate: boolean): string {
    return [`cafile ${p.ca}`, `certfile ${p.serverCert}`, `keyfile ${p.serverKey}`, `require_certificate ${requireCertificate}`].join('\n');
  }

  it('connects with mutual TLS (CA, client certificate and key from files)', async () => {
    const p = pki();
    const broker = await mosquitto(tlsConfig(p, true));
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const peer = await client(url, ['line/#'], { ca: readFileSync(p.ca), cert: readFileSync(p.clientCert), key: readFileSync(p.clientKey) });
    const device = mqttDevice('uns', { url, tls: { ca: p.ca, cert: p.clientCert, key: p.clientKey } });
    const run = await sinkRun(device, {});
    run.send('sink', [sample('line/speed', 1200)]);
    await waitFor('the message over TLS', () => peer.received.length >= 1);
    expect(JSON.parse(peer.received[0]!.payload.toString()).value).toBe(1200);
    expect(run.stats('sink').status).toMatchObject({ connection: 'connected' });
  });

  it('says clearly that the broker wants a client certificate when none is configured', async () => {
    const p = pki();
    const broker = await mosquitto(tlsConfig(p, true));
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const run = await sinkRun(mqttDevice('uns', { url, tls: { ca: p.ca } }), {});
    await waitFor(() => `an error (status: ${JSON.stringify(run.stats('sink').status)})`, () => run.stats('sink').status?.lastError !== undefined);
    expect(run.stats('sink').status?.connection).not.toBe('connected');
    expect(run.stats('sink').status?.lastError).toBe(`${url}: the broker requires a client certificate: set tls.cert and tls.key (tlsv13 alert certificate required)`);
  });

  it('says clearly that the broker certificate is not trusted by the configured CA', async () => {
    const p = pki();
    const broker = await mosquitto(tlsConfig(p, false));
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const run = await sinkRun(mqttDevice('uns', { url, tls: { ca: p.otherCa } }), {});
    await waitFor('an error', () => run.stats('sink').status?.lastError !== undefined);
    expect(run.stats('sink').status?.lastError).toBe(`${url}: the broker's certificate is not signed by a trusted CA: set tls.ca to the CA that signed it (self-signed certificate in certificate chain)`);
    // Server-only TLS with the right CA and no client certificate works.
    const ok = await sinkRun(mqttDevice('uns2', { url, tls: { ca: p.ca } }), {});
    await waitFor('connected', () => ok.stats('sink').status?.connection === 'connected');
  });

  it('names a missing TLS file instead of retrying forever', async () => {
    const p = pki();
    const broker = await mosquitto(tlsConfig(p, true));
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const run = await sinkRun(mqttDevice('uns', { url, tls: { ca: p.ca, cert: `${p.dir}/nope.crt`, key: p.clientKey } }), {});
    await waitFor('failed', () => run.stats('sink').status?.connection === 'failed');
    expect(run.stats('sink').status?.lastError).toBe(`${url}: cannot read tls.cert "${p.dir}/nope.crt": no such file`);
    // Batches fail at once with that reason.
    run.send('sink', [sample('a/b', 1)]);
    await waitFor('the error', () => run.out['sink.error']!.length >= 1);
    expect(run.out['sink.error']![0]!.error!.message).toContain('cannot read tls.cert');
  });
});
