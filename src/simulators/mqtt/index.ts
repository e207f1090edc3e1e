// Simulated MQTT device: an in-process aedes broker (MQTT 3.1.1) on a loopback address that, when
// the profile lists topics, also publishes them from signal generators like a device would.
import { createServer, type Socket } from 'node:net';
import type { SimulatorFile } from '../../shared/model/simulator.ts';
import { createSignal, type SignalValue } from '../../shared/signals.ts';
import type { RunningSimulator, SimulatorEnv } from '../simulator.ts';
import { readCsvSeries } from '../csv-series.ts';
import { loadReplay, playReplay, reportMissing } from '../replay.ts';

export type MqttSimulatorProfile = Extract<SimulatorFile, { protocol: 'mqtt' }>;

type Publisher = (elapsedMs: number) => Buffer;
type Topic = MqttSimulatorProfile['topics'][number];

/** The recorded values of a topic's replay fields, as the replay sets them. */
type ReplayValues = Map<string, SignalValue>;

/**
 * A fixed payload (`payload` text or `payloadBase64`) is published as it is. With `fields`, JSON
 * topics publish { <field>: <signal value>, ..., "ts": <epoch ms> } (a field named "ts" wins);
 * raw topics publish the text of the field named "value" (or of the only field). Replay fields
 * take their value from `replayed`.
 */
async function publisherFor(topic: Topic, env: SimulatorEnv, replayed: ReplayValues): Promise<Publisher> {
  if (topic.payload !== undefined || topic.payloadBase64 !== undefined) {
    const fixed = topic.payload !== undefined ? Buffer.from(topic.payload, 'utf8') : Buffer.from(topic.payloadBase64!, 'base64');
    return () => fixed;
  }
  const fields = await Promise.all(
    Object.entries(topic.fields ?? {}).map(async ([name, shape]) => {
      if (shape.kind === 'replay') return { name, signal: (): SignalValue => replayed.get(name) ?? 0 };
      const signal = createSignal(shape, shape.kind === 'csv' ? await readCsvSeries(shape, env.baseDir) : undefined);
      return { name, signal };
    }),
  );
  if (topic.format === 'raw') {
    const field = fields.find((f) => f.name === 'value') ?? (fields.length === 1 ? fields[0] : undefined);
    if (!field) throw new Error(`topic "${topic.topic}": a raw topic publishes the field named "value" (or its only field)`);
    return (t) => Buffer.from(String(field.signal(t)));
  }
  return (t) => {
    const obj: Record<string, SignalValue> = { ts: Date.now() };
    for (const f of fields) obj[f.name] = f.signal(t);
    return Buffer.from(JSON.stringify(obj));
  };
}

export async function startMqttSimulator(profile: MqttSimulatorProfile, env: SimulatorEnv): Promise<RunningSimulator> {
  // Built before anything listens, so a bad profile (unreadable CSV) fails cleanly.
  const publishers = await Promise.all(
    profile.topics.map(async (t) => {
      const replayed: ReplayValues = new Map();
      return { topic: t, replayed, publish: await publisherFor(t, env, replayed) };
    }),
  );
  // Topics with replay fields are published when the recording says, not every intervalMs.
  const replayFields = publishers.flatMap((p, index) =>
    Object.entries(p.topic.fields ?? {}).flatMap(([field, shape]) => (shape.kind === 'replay' ? [{ index, field, tag: shape.tag }] : [])),
  );
  const replay = replayFields.length ? loadReplay(env.baseDir, profile.replay!.recording, replayFields.map((f) => f.tag)) : undefined;
  if (replay) reportMissing(env, profile.id, replay);
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client that resets its connection must not take the simulator down.
    socket.on('error', () => {});
    broker.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(profile.bind.port, profile.bind.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((done) => broker.close(() => done()));
    const code = (err as NodeJS.ErrnoException).code;
    // Keep the code: startSimulators falls back to a free port on EADDRINUSE/EADDRNOTAVAIL.
    throw Object.assign(new Error(code === 'EADDRINUSE' ? `${profile.bind.host}:${profile.bind.port} is already in use` : (err as Error).message), { code });
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : profile.bind.port;
  const host = profile.bind.host === '0.0.0.0' ? '127.0.0.1' : profile.bind.host;

  const startedAt = Date.now();
  const senders = publishers.map(({ topic, publish }) => {
    const send = (): void => {
      let payload: Buffer;
      try {
        payload = publish(Date.now() - startedAt);
      } catch (err) {
        env.log('warn', `MQTT simulator ${profile.id}: topic ${topic.topic}: ${(err as Error).message}`);
        return;
      }
      broker.publish({ cmd: 'publish', topic: topic.topic, payload, qos: 0, retain: topic.retain, dup: false }, () => {});
    };
    // A fixed payload (a snapshot of a real broker) is there from the start: retained ones are in
    // the broker's store before the first client subscribes.
    if (topic.fields === undefined) send();
    return send;
  });
  const replaying = new Set(replayFields.map((f) => f.index));
  const timers = senders.flatMap((send, i) => (replaying.has(i) ? [] : [setInterval(send, publishers[i]!.topic.intervalMs)]));
  const player =
    replay &&
    playReplay(replay, profile.replay!, (events) => {
      const touched = new Set<number>();
      for (const e of events) {
        if (e.quality === 'bad' || e.value === null || typeof e.value === 'object') continue;
        const { index, field } = replayFields[e.tag]!;
        publishers[index]!.replayed.set(field, e.value);
        touched.add(index);
      }
      for (const index of touched) senders[index]!();
    });
  env.log('info', `MQTT simulator ${profile.id} listening on mqtt://${host}:${port}`, { topics: profile.topics.length });

  let stopped: Promise<void> | undefined;
  return {
    id: profile.id,
    protocol: 'mqtt',
    host,
    port,
    endpoint: `mqtt://${host}:${port}`,
    stop() {
      stopped ??= (async () => {
        for (const t of timers) clearInterval(t);
        player?.stop();
        await new Promise<void>((done) => broker.close(() => done()));
        for (const s of sockets) s.destroy();
        await new Promise<void>((done) => server.close(() => done()));
      })();
      return stopped;
    },
  };
}
