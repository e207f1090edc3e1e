import { describe, expect, it } from 'vitest';
import { mqttCaptureCall, mqttTreeQuery, type MqttMessage, type MqttTopicNode } from '../../../src/shared/discovery/mqtt.ts';
import { deviceFile } from '../../../src/shared/model/device.ts';
import { captureRequest, credentialRefs, parseTopicFilters, simulatorFor, unresolvedCredentials, type MqttDevice } from '../../../src/renderer/features/devices/mqtt/capture-request.ts';
import { hexDump, MessageHistory, payloadDiff, schemaLines, showPayload } from '../../../src/renderer/features/devices/mqtt/payload.ts';
import { tagForTopic, topicDrop, topicTagName } from '../../../src/renderer/features/devices/mqtt/topic-drop.ts';
import { autoExpand, branchesToPoll, ChangeTracker, flattenTree, hasBelow, type TopicListing } from '../../../src/renderer/features/devices/mqtt/topic-rows.ts';

// The pure parts of the MQTT topic tree: rows of the expanded branches, what to poll, the change
// marks behind the row flash, payload display and diff, and the capture request of a device.

const node = (path: string, extra: Partial<MqttTopicNode> = {}): MqttTopicNode => ({
  name: path.split('/').at(-1)!,
  path,
  count: 0,
  branchCount: 0,
  rate: 0,
  branchRate: 0,
  topics: 1,
  ...extra,
});
const topic = (path: string, preview: string, extra: Partial<MqttTopicNode> = {}): MqttTopicNode =>
  node(path, { type: 'json', count: 1, branchCount: 1, last: msg(preview), ...extra });
function msg(preview: string, extra: Partial<MqttMessage> = {}): MqttMessage {
  return { ts: 1000, retained: false, type: 'json', size: preview.length, truncated: false, preview, ...extra };
}

describe('topic rows', () => {
  const listings = new Map<string, TopicListing>([
    ['', [node('plant', { topics: 3 }), topic('status', '{"ok":true}')]],
    ['plant', [node('plant/line', { topics: 2 }), topic('plant/mode', '"auto"', { topics: 1 })]],
    ['plant/line', [topic('plant/line/level', '1'), topic('plant/line/speed', '2')]],
  ]);

  it('shows the listed levels of expanded branches only, in tree order, with their depth', () => {
    const collapsed = flattenTree(listings, new Set());
    expect(collapsed.map((r) => [r.path, r.depth, r.branch, r.expanded])).toEqual([
      ['plant', 0, true, false],
      ['status', 0, false, false],
    ]);
    const open = flattenTree(listings, new Set(['plant', 'plant/line']));
    expect(open.map((r) => r.path)).toEqual(['plant', 'plant/line', 'plant/line/level', 'plant/line/speed', 'plant/mode', 'status']);
    expect(open.find((r) => r.path === 'plant/line/level')!.depth).toBe(2);
    // A branch whose parent is closed is not shown even if it is marked open.
    expect(flattenTree(listings, new Set(['plant/line'])).map((r) => r.path)).toEqual(['plant', 'status']);
    expect(flattenTree(listings, new Set(['plant', 'plant/line']), 3)).toHaveLength(3);
  });

  it('knows a branch by the topics below it, also when the branch is a topic itself', () => {
    expect(hasBelow(node('a', { topics: 2 }))).toBe(true);
    expect(hasBelow(topic('a', '1', { topics: 1 }))).toBe(false);
    expect(hasBelow(topic('a', '1', { topics: 2 }))).toBe(true);
    // The empty first level of "/x" topics has the root's path: it cannot be listed alone.
    expect(hasBelow(node('', { topics: 4 }))).toBe(false);
  });

  it('polls the root and each open branch in view, within the cap', () => {
    const rows = flattenTree(listings, new Set(['plant', 'plant/line']));
    expect(branchesToPoll(rows)).toEqual(['', 'plant', 'plant/line']);
    expect(branchesToPoll(rows, 2)).toEqual(['', 'plant']);
  });

  it('opens branches in view while searching, except those the user closed', () => {
    const rows = flattenTree(listings, new Set());
    expect([...autoExpand(rows, new Set(), new Set())!]).toEqual(['plant']);
    expect(autoExpand(rows, new Set(), new Set(['plant']))).toBeUndefined();
    const deeper = flattenTree(listings, new Set(['plant']));
    expect([...autoExpand(deeper, new Set(['plant']), new Set())!]).toEqual(['plant', 'plant/line']);
  });

  it('marks a topic changed when its payload differs from the last poll, not when it first shows or repeats', () => {
    const t = new ChangeTracker();
    t.update([topic('a', '1'), topic('b', 'x')]);
    expect(t.version('a')).toBe(0);
    t.update([topic('a', '2'), topic('b', 'x')]);
    expect([t.version('a'), t.version('b')]).toEqual([1, 0]);
    t.update([topic('a', '2')]);
    expect(t.version('a')).toBe(1);
    t.update([topic('a', '3')]);
    expect(t.version('a')).toBe(2);
    // Topics out of view are forgotten: the tracker is as small as the rows shown.
    expect(t.version('b')).toBe(0);
  });
});

describe('payload display', () => {
  it('pretty-prints complete JSON and shows a cut preview as text', () => {
    expect(showPayload(msg('{"a":1,"b":[true]}'))).toEqual({ format: 'json', text: '{\n  "a": 1,\n  "b": [\n    true\n  ]\n}', complete: true });
    const long = `{"x":"${'y'.repeat(300)}"}`;
    const cut = showPayload(msg(`${long.slice(0, 200)}…`, { size: long.length }));
    expect(cut.format).toBe('text');
    expect(cut.complete).toBe(false);
    expect(cut.text).toBe(long.slice(0, 200));
    // With the kept payload (a stopped capture), the whole JSON is formatted.
    expect(showPayload(msg(`${long.slice(0, 200)}…`, { size: long.length, payload: long, encoding: 'utf8' })).format).toBe('json');
  });

  it('shows text as it is, empty payloads as empty, binary as a hex dump', () => {
    expect(showPayload(msg('running', { type: 'text' }))).toEqual({ format: 'text', text: 'running', complete: true });
    expect(showPayload(msg('', { type: 'empty', size: 0 })).format).toBe('empty');
    const hex = showPayload(msg('0001414243ff', { type: 'binary', size: 6 }));
    expect(hex).toEqual({ format: 'hex', text: '0000  00 01 41 42 43 ff        ..ABC.', complete: true });
    expect(showPayload(msg(`${'00'.repeat(32)}…`, { type: 'sparkplug', size: 90 })).complete).toBe(false);
    expect(showPayload(msg('', { type: 'binary', size: 3, payload: btoa('\x01\x02\x03'), encoding: 'base64' })).text).toBe(hexDump([1, 2, 3]));
    expect(hexDump([...Array(10).keys()]).split('\n')).toEqual(['0000  00 01 02 03 04 05 06 07  ........', `0008  ${'08 09'.padEnd(23)}  ..`]);
  });

  it('diffs two JSON payloads line by line after formatting', () => {
    const hunks = payloadDiff(msg('{"value":1,"unit":"mm"}'), msg('{"value":2,"unit":"mm"}'));
    const changed = hunks.flatMap((h) => h.lines).filter((l) => l.op !== 'same');
    expect(changed).toEqual([
      { op: 'del', text: '  "value": 1,', a: 2 },
      { op: 'add', text: '  "value": 2,', b: 2 },
    ]);
    expect(payloadDiff(msg('{"a":1}'), msg('{ "a": 1 }'))).toEqual([]);
  });

  it('lists an inferred schema as indented lines', () => {
    const lines = schemaLines({ type: 'object', properties: { v: { type: ['integer', 'null'] }, tags: { type: 'array', items: { type: 'string' } } } });
    expect(lines).toEqual([
      { depth: 0, name: '(payload)', type: 'object' },
      { depth: 1, name: 'v', type: 'integer | null' },
      { depth: 1, name: 'tags', type: 'array' },
      { depth: 2, name: '[]', type: 'string' },
    ]);
  });

  it('keeps a bounded history of distinct messages, oldest first', () => {
    const h = new MessageHistory(3);
    h.add(msg('1', { ts: 1 }), msg('2', { ts: 2 }));
    h.add(msg('2', { ts: 2 }), msg('3', { ts: 3 }), undefined);
    expect(h.list().map((m) => m.preview)).toEqual(['1', '2', '3']);
    h.add(msg('4', { ts: 4 }));
    expect(h.list().map((m) => m.ts)).toEqual([2, 3, 4]);
    h.clear();
    expect(h.list()).toEqual([]);
  });
});

describe('capture request', () => {
  const device = (extra: Record<string, unknown> = {}): MqttDevice =>
    deviceFile.parse({ apiVersion: 'plantbench/v1', kind: 'Device', id: 'b', protocol: 'mqtt', url: 'mqtts://broker:8883', clientId: 'line-1', tls: { rejectUnauthorized: true }, ...extra }) as MqttDevice;

  it('names the device, so the host connects as its file says (never with its client id, never sending a reference)', () => {
    const d = device({ username: '${env:UNS_USER}', password: '${secret:UNS_PASSWORD}' });
    expect(captureRequest(d, ['plant/#', '$SYS/#'])).toEqual({ deviceId: 'b', topics: ['plant/#', '$SYS/#'] });
    expect(mqttCaptureCall.safeParse(captureRequest(d, ['#'])).success).toBe(true);
    expect(credentialRefs(d)).toEqual([
      { field: 'username', ref: '${env:UNS_USER}' },
      { field: 'password', ref: '${secret:UNS_PASSWORD}' },
    ]);
    expect(credentialRefs(device())).toEqual([]);
  });

  it('sends credentials typed for one capture, and offers them when the host could not resolve a reference', () => {
    expect(captureRequest(device(), ['#'], { username: 'u', password: 'p' })).toEqual({ deviceId: 'b', topics: ['#'], username: 'u', password: 'p' });
    expect(captureRequest(device(), ['#'], { username: '', password: 'p' })).toEqual({ deviceId: 'b', topics: ['#'], password: 'p' });
    expect(unresolvedCredentials('devices/b.yaml:9:11 password: unresolved ${secret:UNS_PASSWORD}: provide secret UNS_PASSWORD')).toBe(true);
    expect(unresolvedCredentials('mqtt://broker:1883: connection refused')).toBe(false);
    expect(unresolvedCredentials(undefined)).toBe(false);
  });

  it('refuses a capture call without a broker, or with connection fields beside a device', () => {
    const issues = (input: unknown) => mqttCaptureCall.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ topics: ['#'] })).toEqual(['url: give the broker url, or deviceId for a project device']);
    expect(issues({ deviceId: 'b', url: 'mqtt://127.0.0.1:1883', clientId: 'x' })).toEqual([
      'url: url comes from devices/b.yaml: leave it out with deviceId',
      'clientId: clientId comes from devices/b.yaml: leave it out with deviceId',
    ]);
    expect(issues({ url: 'mqtt://127.0.0.1:1883' })).toBeUndefined();
  });

  it('asks for payloads of one topic only', () => {
    expect(mqttTreeQuery.safeParse({ under: 'a/b', depth: 0, payloads: true }).success).toBe(true);
    expect(mqttTreeQuery.safeParse({ under: 'a/b', depth: 1, payloads: true }).error?.issues[0]).toMatchObject({ path: ['payloads'] });
    expect(mqttTreeQuery.safeParse({ depth: 0, payloads: true }).success).toBe(false);
  });

  it('captures from the simulator that stands in for the device during a simulated run', () => {
    const profiles = [{ id: 'sim-b', device: 'b' }, { id: 'other' }];
    expect(simulatorFor('b', profiles, [])).toBeUndefined();
    const sim = simulatorFor('b', profiles, [{ id: 'sim-b', endpoint: 'mqtt://127.0.0.1:40001' }]);
    expect(sim).toEqual({ id: 'sim-b', endpoint: 'mqtt://127.0.0.1:40001' });
    const d = device({ username: '${env:UNS_USER}', password: '${secret:UNS_PASSWORD}' });
    expect(captureRequest(d, ['#'], { password: 'typed' }, sim)).toEqual({ url: 'mqtt://127.0.0.1:40001', topics: ['#'], protocolVersion: 4 });
  });

  it('reads topic filters separated by spaces or commas, "#" when empty', () => {
    expect(parseTopicFilters(' a/#, b/+/c  d ')).toEqual(['a/#', 'b/+/c', 'd']);
    expect(parseTopicFilters('  ')).toEqual(['#']);
  });
});

describe('topic drop', () => {
  it('makes tag names of topic levels', () => {
    expect(topicTagName('acme/dortmund/line 1/temp (°C)')).toBe('acme/dortmund/line_1/temp_C_');
    expect(topicTagName('/leading//double')).toBe('leading/double');
    expect(topicTagName('-x/y')).toBe('_-x/y');
    expect(topicTagName('$SYS/broker')).toBe('_SYS/broker');
  });

  it('reads UNS JSON by its value member, other JSON whole, text raw, Sparkplug from the data topic', () => {
    const uns = topic('acme/line/level', '{"value":1}', { schema: { type: 'object', properties: { value: { type: 'number' } } } });
    expect(tagForTopic(uns)).toEqual({ name: 'acme/line/level', topic: 'acme/line/level', payload: { format: 'json', field: 'value' } });
    expect(tagForTopic(topic('a/b', '[1]', { schema: { type: 'array' } }))!.payload).toEqual({ format: 'json' });
    expect(tagForTopic(topic('a/mode', 'auto', { type: 'text' }))!.payload).toEqual({ format: 'raw' });
    expect(tagForTopic(topic('spBv1.0/g/DBIRTH/edge/dev', '', { type: 'sparkplug' }))).toEqual({ name: 'spBv1.0/g/DDATA/edge/dev', topic: 'spBv1.0/g/DDATA/edge/dev', payload: { format: 'sparkplug' } });
    expect(tagForTopic(topic('spBv1.0/g/NBIRTH/edge', '', { type: 'sparkplug' }))!.topic).toBe('spBv1.0/g/NDATA/edge');
    expect(tagForTopic(node('branch'))).toBeUndefined();
    expect(tagForTopic(topic('a/cleared', '', { type: 'empty' }))).toBeUndefined();
  });

  it('drops an mqtt-source that imports the tag, or uses a tag the device already has', () => {
    const t = topic('a/b', '"x"', { type: 'text' });
    expect(topicDrop('broker', t)).toEqual({
      kind: 'mqtt-source',
      config: { device: 'broker', tags: ['a/b'] },
      name: 'b',
      import: { deviceId: 'broker', protocol: 'mqtt', tags: [{ name: 'a/b', topic: 'a/b', payload: { format: 'raw' } }] },
    });
    const existing = [{ name: 'mine', topic: 'a/b', payload: { format: 'raw' as const } }];
    expect(topicDrop('broker', t, existing)).toEqual({ kind: 'mqtt-source', config: { device: 'broker', tags: ['mine'] }, name: 'mine' });
  });
});
