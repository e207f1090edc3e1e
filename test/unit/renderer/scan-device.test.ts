import { describe, expect, it } from 'vitest';
import type { ScanTarget } from '../../../src/shared/discovery/scan.ts';
import { deviceFile } from '../../../src/shared/model/device.ts';
import { deviceFromScan, deviceProtocol, fieldsOfScanKey, parsePorts, suggestDeviceId } from '../../../src/renderer/features/devices/scan/scan-device.ts';

// The scan dialog's pure parts: the ports field, and the device file made from a scan result.

const target = (extra: Partial<ScanTarget>): ScanTarget => ({ host: '127.0.0.11', port: 5020, state: 'open', protocol: 'unknown', confirmed: false, ...extra });

describe('parsePorts', () => {
  it('takes ports and ranges separated by commas or spaces, without repeats', () => {
    expect(parsePorts('502, 4840 1883,502 5020-5022')).toEqual({ ports: [502, 4840, 1883, 5020, 5021, 5022] });
  });
  it('names the bad part', () => {
    expect(parsePorts('502, 70000')).toEqual({ error: '"70000" is not a port (1–65535) or a range such as 5020-5030' });
    expect(parsePorts('10-5')).toMatchObject({ error: expect.stringContaining('"10-5"') });
    expect(parsePorts(' ')).toEqual({ error: 'give at least one port' });
    expect(parsePorts('1-2000')).toEqual({ error: 'at most 1024 ports' });
  });
});

describe('deviceFromScan', () => {
  it('makes a valid Modbus TCP device on the unit that answered', () => {
    const t = target({ protocol: 'modbus', confirmed: true, detail: 'unit 3 answered (holding 0 = 17)' });
    const d = deviceFromScan(t, 'filler-2')!;
    expect(d).toMatchObject({ id: 'filler-2', protocol: 'modbus', transport: { kind: 'tcp', host: '127.0.0.11', port: 5020 }, unitId: 3 });
    expect(deviceFile.safeParse(d).success).toBe(true);
  });

  it('makes an OPC UA device on the scanned address, preferring an unsecured endpoint', () => {
    const t = target({
      host: '127.0.0.12',
      port: 4840,
      protocol: 'opcua',
      confirmed: true,
      endpoints: [
        { url: 'opc.tcp://capper-host:4840/plantbench', securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', userTokens: ['Anonymous'] },
        { url: 'opc.tcp://capper-host:4840/plantbench', securityMode: 'None', securityPolicy: 'None', userTokens: ['Anonymous'] },
      ],
    });
    const d = deviceFromScan(t, 'capper-2')!;
    expect(d).toMatchObject({ protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.12:4840/plantbench', securityMode: 'None', securityPolicy: 'None' });
    expect(deviceFile.safeParse(d).success).toBe(true);
    const secured = deviceFromScan({ ...t, endpoints: t.endpoints!.slice(0, 1) }, 'c')!;
    expect(secured).toMatchObject({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' });
    expect(deviceFile.safeParse(secured).success).toBe(true);
    expect(deviceFromScan({ ...t, endpoints: undefined }, 'c')).toMatchObject({ endpoint: 'opc.tcp://127.0.0.12:4840' });
  });

  it('makes MQTT devices, mqtts:// for a TLS broker', () => {
    const plain = deviceFromScan(target({ host: '127.0.0.13', port: 1883, protocol: 'mqtt', confirmed: true, detail: 'CONNACK 0 (MQTT 3.1.1)' }), 'b')!;
    expect(plain).toMatchObject({ protocol: 'mqtt', url: 'mqtt://127.0.0.13:1883' });
    expect(deviceFile.safeParse(plain).success).toBe(true);
    expect(deviceFromScan(target({ host: '::1', port: 8883, protocol: 'mqtt-tls', confirmed: true }), 'b')).toMatchObject({ url: 'mqtts://[::1]:8883' });
  });

  it('makes nothing of an unconfirmed or unknown port', () => {
    expect(deviceFromScan(target({ protocol: 'modbus' }), 'x')).toBeUndefined();
    expect(deviceProtocol(target({ confirmed: true }))).toBeUndefined();
  });
});

describe('suggestDeviceId and the cache key', () => {
  it('suggests a free id from protocol and address', () => {
    const t = target({ protocol: 'modbus', confirmed: true });
    expect(suggestDeviceId(t, new Set())).toBe('modbus-127-0-0-11');
    expect(suggestDeviceId(t, new Set(['modbus-127-0-0-11', 'modbus-127-0-0-11-2']))).toBe('modbus-127-0-0-11-3');
  });
  it('reads the dialog fields back from a cached scan key', () => {
    expect(fieldsOfScanKey('127.0.0.10-14 ports 502,5020')).toEqual({ targets: '127.0.0.10-14', ports: '502, 5020' });
    expect(fieldsOfScanKey('nonsense')).toBeUndefined();
  });
});
