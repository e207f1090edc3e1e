import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { projectReadiness, startHealthServer } from '../../src/gateway/health.ts';
import { prometheusText } from '../../src/gateway/metrics.ts';
import { startProjectSession, type ProjectSession } from '../../src/host/project-session.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { metricValue, parsePrometheusText } from '../helpers/prometheus.ts';
import { writeProjectFiles } from '../helpers/project.ts';
import { waitFor } from '../helpers/wait.ts';

// A real pipeline (MQTT in → scale → MQTT out) against Debian's mosquitto on 127.0.0.181, started
// with startProjectSession as the gateway does, and the health server on 127.0.0.182 scraped with
// fetch: readiness follows the source's connection through a broker outage, and /metrics carries
// the node counters, connection state, reconnects and process figures.

const cleanups = cleanupAfterEach();

function project(brokerUrl: string): string {
  const root = mkdtempSync(join(tmpdir(), 'plantbench-health-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  writeProjectFiles(root, 'Health', {
    'devices/broker.yaml': `apiVersion: plantbench/v1
kind: Device
id: broker
name: Broker
protocol: mqtt
url: ${brokerUrl}
protocolVersion: 5
tags:
  - { name: temp, topic: plant/in/temp, payload: { format: json, field: v } }
`,
    'pipelines/p.yaml': `apiVersion: plantbench/v1
kind: Pipeline
id: p
name: Temperature in °F
nodes:
  src: { type: mqtt-source, config: { device: broker, tags: [ temp ] } }
  f: { type: scale, config: { rawLow: 0, rawHigh: 100, engLow: 32, engHigh: 212 } }
  out: { type: mqtt-sink, config: { device: broker, topic: "out/{path}", qos: 1, payload: { format: value } } }
edges:
  - { from: src, to: f }
  - { from: f, to: out }
`,
  });
  return root;
}

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return parsePrometheusText(await res.text());
}

async function readyz(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, text: await res.text() };
}

describe('gateway health and metrics', () => {
  it('serves readiness and Prometheus metrics of a running pipeline through a broker outage', async () => {
    const broker = await startMosquitto({ host: '127.0.0.181' });
    cleanups.push(() => broker.stop());
    const root = project(broker.url);

    let session: ProjectSession | undefined;
    const health = await startHealthServer({
      host: '127.0.0.182',
      port: 0,
      ready: () => projectReadiness(session?.runner),
      metrics: () => prometheusText(session?.runner),
    });
    cleanups.push(() => health.close());
    expect(await readyz(health.url)).toEqual({ status: 503, text: 'not ready: no pipeline is running\n' });
    expect((await fetch(`${health.url}/healthz`)).status).toBe(200);

    const started = await startProjectSession(root, { secrets: () => undefined, log: () => {} });
    expect(started.problems).toEqual([]);
    session = started.session!;
    cleanups.push(() => session!.stop());
    let last = { status: 0, text: '' };
    await waitFor(() => `ready, last ${JSON.stringify(last)}`, () => last.status === 200, 10_000, async () => void (last = await readyz(health.url)));

    const client = mqtt.connect(broker.url, { protocolVersion: 5 });
    cleanups.push(() => client.endAsync());
    const received: string[] = [];
    client.on('message', (_topic, payload) => received.push(payload.toString()));
    await client.subscribeAsync('out/#', { qos: 1 });
    for (const v of [0, 50, 100]) await client.publishAsync('plant/in/temp', JSON.stringify({ v }), { qos: 1 });
    await waitFor(() => `3 messages, got ${received.join(' ')}`, () => received.length === 3);
    expect(received).toEqual(['32', '122', '212']);

    let m = await scrape(health.url);
    const node = (n: string, type: string) => ({ pipeline: 'p', node: n, type });
    expect(metricValue(m, 'plantbench_node_samples_out_total', node('src', 'mqtt-source'))).toBe(3);
    expect(metricValue(m, 'plantbench_node_samples_in_total', node('f', 'scale'))).toBe(3);
    expect(metricValue(m, 'plantbench_node_samples_in_total', node('out', 'mqtt-sink'))).toBe(3);
    expect(metricValue(m, 'plantbench_node_errors_total', node('out', 'mqtt-sink'))).toBe(0);
    expect(metricValue(m, 'plantbench_node_queued_samples', node('out', 'mqtt-sink'))).toBe(0);
    expect(metricValue(m, 'plantbench_connection_up', node('src', 'mqtt-source'))).toBe(1);
    expect(metricValue(m, 'plantbench_connection_state', { ...node('out', 'mqtt-sink'), state: 'connected' })).toBe(1);
    expect(metricValue(m, 'plantbench_connection_reconnects_total', node('src', 'mqtt-source'))).toBe(0);
    expect(metricValue(m, 'plantbench_pipeline_running', { pipeline: 'p' })).toBe(1);
    expect(metricValue(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(metricValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // Outage: the source's connection drops, readiness says which source, the metrics say how.
    await broker.kill();
    await waitFor(() => `not ready, last ${JSON.stringify(last)}`, () => last.status === 503, 10_000, async () => void (last = await readyz(health.url)));
    expect(last.text).toMatch(/^not ready: sources not connected: p\/src \((reconnecting|connecting|failed)\)\n$/);
    m = await scrape(health.url);
    expect(metricValue(m, 'plantbench_connection_up', node('src', 'mqtt-source'))).toBe(0);
    expect((await fetch(`${health.url}/healthz`)).status).toBe(200);

    await broker.restart();
    await waitFor(() => `ready again, last ${JSON.stringify(last)}`, () => last.status === 200, 20_000, async () => void (last = await readyz(health.url)));
    m = await scrape(health.url);
    expect(metricValue(m, 'plantbench_connection_up', node('src', 'mqtt-source'))).toBe(1);
    expect(metricValue(m, 'plantbench_connection_reconnects_total', node('src', 'mqtt-source'))).toBeGreaterThan(0);
  });
});
