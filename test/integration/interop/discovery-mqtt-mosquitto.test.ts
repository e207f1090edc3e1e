// MQTT topic discovery against programs we did not write: Debian's mosquitto broker (MQTT 5 and
// 3.1.1, password authentication) with traffic from mosquitto_pub.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureTopics, MqttCaptureError, startTopicCapture, type TopicCapture } from '../../../src/connectors/mqtt/discovery/capture.ts';
import { DataType, encodeSparkplug } from '../../../src/connectors/mqtt/sparkplug/codec.ts';
import { topicNodes, type MqttTopicNode } from '../../../src/shared/discovery/mqtt.ts';
import { cleanupAfterEach } from '../../helpers/cleanups.ts';
import { passwordConfig, startMosquitto, type Mosquitto } from '../../helpers/mosquitto.ts';
import { makeTestPki } from '../../helpers/tls.ts';
import { waitFor } from '../../helpers/wait.ts';

const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
const BIN = new URL('../../../bin/plantbench.js', import.meta.url).pathname;

const cleanups = cleanupAfterEach();
const capture = cleanups.track(startTopicCapture, (c: TopicCapture) => c.stop());

async function mosquitto(extraConfig?: string): Promise<Mosquitto> {
  const m = await startMosquitto(extraConfig ? { extraConfig } : {});
  cleanups.push(() => m.stop());
  return m;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-discover-mosquitto-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function pub(broker: Mosquitto, version: 'mqttv5' | 'mqttv311', args: string[]): void {
  if (!existsSync(MOSQUITTO_PUB)) throw new Error(`${MOSQUITTO_PUB} not found: install the Debian package "mosquitto-clients"`);
  const r = spawnSync(MOSQUITTO_PUB, ['-h', broker.host, '-p', String(broker.port), '-V', version, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mosquitto_pub failed: ${r.stderr}`);
}

const byPath = (tree: MqttTopicNode | undefined): Record<string, MqttTopicNode> => Object.fromEntries(tree ? topicNodes(tree).map((n) => [n.path, n]) : []);

describe('MQTT discovery against mosquitto', () => {
  for (const version of [5, 4] as const) {
    it(`captures mosquitto_pub traffic, retained and not, JSON, text and binary (MQTT ${version === 5 ? '5' : '3.1.1'})`, async () => {
      const broker = await mosquitto();
      const pubVersion = version === 5 ? 'mqttv5' : 'mqttv311';
      // Retained before the capture starts: delivered from the broker's store.
      pub(broker, pubVersion, ['-r', '-t', 'plant/cfg', '-m', '{"site":"Essen","lines":[1,2]}']);
      pub(broker, pubVersion, ['-r', '-t', 'plant/mode', '-m', 'auto']);
      const live = await capture({ url: broker.url, protocolVersion: version, topics: ['plant/#', 'spBv1.0/#'] });
      expect(live.stats()).toMatchObject({ protocolVersion: version, connected: true, warnings: [] });
      await waitFor('the retained messages', () => live.stats().messages >= 2);
      // Live: not retained, retained, binary from a file, a Sparkplug birth.
      const dir = tempDir();
      const blob = join(dir, 'blob.bin');
      writeFileSync(blob, Buffer.from([0x00, 0x10, 0xff, 0x80]));
      const birth = join(dir, 'nbirth.bin');
      writeFileSync(birth, encodeSparkplug({ timestamp: 5, seq: 0, metrics: [{ name: 'Temperature', datatype: DataType.Double, value: 21.5 }] }));
      pub(broker, pubVersion, ['-t', 'plant/level', '-m', '{"value":50.5,"unit":"%"}']);
      pub(broker, pubVersion, ['-t', 'plant/level', '-m', '{"value":51,"unit":"%"}']);
      pub(broker, pubVersion, ['-r', '-t', 'plant/mode', '-m', 'manual']);
      pub(broker, pubVersion, ['-t', 'plant/raw', '-f', blob]);
      pub(broker, pubVersion, ['-t', 'spBv1.0/g1/NBIRTH/edge', '-f', birth]);
      await waitFor(() => `7 messages (have ${live.stats().messages})`, () => live.stats().messages >= 7);

      const nodes = byPath(live.snapshot({ payloads: true }));
      expect(nodes['plant/cfg']).toMatchObject({
        type: 'json',
        retained: true,
        count: 1,
        schema: { type: 'object', properties: { site: { type: 'string' }, lines: { type: 'array', items: { type: 'integer' } } } },
        last: { retained: true, payload: '{"site":"Essen","lines":[1,2]}' },
      });
      expect(nodes['plant/level']).toMatchObject({
        type: 'json',
        retained: false,
        count: 2,
        schema: { type: 'object', properties: { value: { type: 'number' }, unit: { type: 'string' } } },
        last: { retained: false, payload: '{"value":51,"unit":"%"}' },
        previous: { payload: '{"value":50.5,"unit":"%"}' },
      });
      // MQTT 5 subscribes with retain-as-published: a live retained publish keeps its flag. On
      // 3.1.1 the broker clears it on live copies; the topic stays known as retained.
      expect(nodes['plant/mode']).toMatchObject({ type: 'text', retained: true, count: 2, last: { retained: version === 5, payload: 'manual' }, previous: { retained: true, payload: 'auto' } });
      expect(nodes['plant/raw']).toMatchObject({ type: 'binary', retained: false, last: { preview: '0010ff80', payload: 'ABD/gA==', encoding: 'base64' } });
      expect(nodes['spBv1.0/g1/NBIRTH/edge']!.sparkplug).toEqual({ messageType: 'NBIRTH', seq: 0, timestamp: 5, metrics: [{ name: 'Temperature', datatype: 'Double', value: 21.5 }] });
      expect(Object.keys(byPath(live.snapshot({ retained: true })))).toEqual(['plant/cfg', 'plant/mode']);
    });
  }

  it('captures over mutual TLS, and names an untrusted broker certificate and a missing client certificate', async () => {
    const p = makeTestPki();
    cleanups.push(() => p.dispose());
    const broker = await mosquitto([`cafile ${p.ca}`, `certfile ${p.serverCert}`, `keyfile ${p.serverKey}`, 'require_certificate true'].join('\n'));
    const url = `mqtts://127.0.0.1:${broker.port}`;
    await expect(captureTopics({ url, durationMs: 200 })).rejects.toThrow(
      new MqttCaptureError(`${url}: the broker's certificate is not signed by a trusted CA: set tls.ca to the CA that signed it (self-signed certificate in certificate chain)`),
    );
    await expect(captureTopics({ url, durationMs: 200, tls: { ca: p.ca } })).rejects.toThrow(
      new MqttCaptureError(`${url}: the broker requires a client certificate: set tls.cert and tls.key (tlsv13 alert certificate required)`),
    );
    const live = await capture({ url, tls: { ca: p.ca, cert: p.clientCert, key: p.clientKey } });
    pub(broker, 'mqttv5', ['--cafile', p.ca, '--cert', p.clientCert, '--key', p.clientKey, '-t', 'secure/level', '-m', '42']);
    await waitFor('the message over TLS', () => live.stats().messages >= 1);
    expect(byPath(live.snapshot())['secure/level']).toMatchObject({ type: 'json', last: { preview: '42' } });
  });

  it('names the broker and the reason when credentials are refused, from the service and the CLI', async () => {
    const passwords = passwordConfig('line1', 's3cret');
    cleanups.push(() => passwords.dispose());
    const broker = await mosquitto(passwords.config);

    const refusal = `${broker.url}: not authorized: check username and password and the broker ACL (Connection refused: Not authorized)`;
    for (const protocolVersion of [4, 5] as const) {
      await expect(captureTopics({ url: broker.url, username: 'line1', password: 'wrong', protocolVersion })).rejects.toThrow(new MqttCaptureError(refusal));
    }

    pub(broker, 'mqttv5', ['-u', 'line1', '-P', 's3cret', '-r', '-t', 'line/speed', '-m', '12']);
    const cli = (password: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'discover', 'mqtt', broker.url, '--duration', '300ms', '--user', 'line1', '--password-env', 'PB_TEST_PASSWORD', '--json'], {
          env: { ...process.env, PB_TEST_PASSWORD: password },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const ok = await cli('s3cret');
    expect(ok.code).toBe(0);
    expect(byPath((JSON.parse(ok.stdout) as { tree: MqttTopicNode }).tree)['line/speed']).toMatchObject({ type: 'json', retained: true, last: { payload: '12' } });
    const refused = await cli('nope');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toEqual({ error: refusal });
  });
});
