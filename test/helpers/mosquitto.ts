import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

export interface Mosquitto {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Stops the broker process (an outage); restart() brings it back on the same port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it for good and removes its files. */
  stop(): Promise<void>;
}

/** Debian's mosquitto on loopback with a config of our own (never the system service). */
export async function startMosquitto(options: { extraConfig?: string; port?: number; host?: string } = {}): Promise<Mosquitto> {
  if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} not found: install the Debian package "mosquitto" (.ci/run does)`);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(config, `listener ${port} ${host}\nallow_anonymous true\npersistence false\n${options.extraConfig ?? ''}\n`);
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 5000;
    while (!(await canConnect(host, port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start on ${host}:${port}: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((done) => {
      c.once('exit', () => done());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    kill,
    restart: start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Broker config that requires `user` with `password` (a password file made with mosquitto_passwd),
 * for startMosquitto's extraConfig; dispose() removes the file.
 */
export function passwordConfig(user: string, password: string): { config: string; dispose(): void } {
  if (!existsSync(MOSQUITTO_PASSWD)) throw new Error(`${MOSQUITTO_PASSWD} not found: install the Debian package "mosquitto"`);
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-passwd-'));
  const file = join(dir, 'passwd');
  const made = spawnSync(MOSQUITTO_PASSWD, ['-b', '-c', file, user, password], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr}`);
  // mosquitto started as root reads it as the "mosquitto" user.
  chmodSync(dir, 0o755);
  chmodSync(file, 0o644);
  return { config: `allow_anonymous false\npassword_file ${file}`, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
