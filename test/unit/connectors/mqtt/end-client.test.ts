// endClient against a TCP peer that accepts and never answers CONNECT (a broker hung mid-start):
// MQTT.js's CONNACK timer must be gone once endClient resolves, or a stopped run's process stays
// alive for connectTimeout. A child process connects, ends, and must then exit on its own.
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLIENT_OPTIONS = fileURLToPath(new URL('../../../../src/connectors/mqtt/client-options.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

describe('endClient', () => {
  it('leaves no CONNACK timer behind when the broker never answered', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => void sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    // connectTimeout 60 s: a timer left behind would hold the child far beyond this test's limit.
    const script = `
      import mqtt from 'mqtt';
      import { endClient } from ${JSON.stringify(CLIENT_OPTIONS)};
      const client = mqtt.connect('mqtt://127.0.0.1:${port}', { connectTimeout: 60_000, reconnectPeriod: 250 });
      client.stream.once('connect', () => setTimeout(async () => { await endClient(client); console.log('ended'); }, 100));
    `;
    const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const code = await new Promise<number | null>((exited) => child.once('exit', exited));
      expect(out.trim()).toBe('ended');
      expect(code).toBe(0);
      // It had reached the peer: the CONNACK timer was running when endClient was called.
      expect(sockets.length).toBe(1);
    } finally {
      child.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  }, 20_000);
});
