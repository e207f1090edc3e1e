import { describe, expect, it } from 'vitest';
import { MAX_SCAN_ADDRESSES, parseTargets, scanRequest, TargetsError } from '../../../src/shared/discovery/scan.ts';

describe('parseTargets', () => {
  it('expands a CIDR block without its network and broadcast addresses', () => {
    expect(parseTargets('127.0.0.0/29')).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']);
    // Any address inside the block names the block.
    expect(parseTargets('127.0.0.13/30')).toEqual(['127.0.0.13', '127.0.0.14']);
    expect(parseTargets('127.0.0.8/31')).toEqual(['127.0.0.8', '127.0.0.9']);
    expect(parseTargets('127.0.0.9/32')).toEqual(['127.0.0.9']);
    expect(parseTargets('10.1.0.0/16')).toHaveLength(65_534);
  });

  it('expands ranges written in full or by their last octet', () => {
    expect(parseTargets('127.0.0.10-127.0.0.13')).toEqual(['127.0.0.10', '127.0.0.11', '127.0.0.12', '127.0.0.13']);
    expect(parseTargets('127.0.0.10-12')).toEqual(['127.0.0.10', '127.0.0.11', '127.0.0.12']);
    expect(parseTargets('127.0.0.254-127.0.1.1')).toEqual(['127.0.0.254', '127.0.0.255', '127.0.1.0', '127.0.1.1']);
    expect(parseTargets('127.0.0.7-7')).toEqual(['127.0.0.7']);
  });

  it('takes single hosts, names and lists, in order and without duplicates', () => {
    expect(parseTargets('127.0.0.1')).toEqual(['127.0.0.1']);
    expect(parseTargets('PLC-7.plant.local')).toEqual(['plc-7.plant.local']);
    expect(parseTargets('localhost, 127.0.0.3-4,127.0.0.2 127.0.0.3')).toEqual(['localhost', '127.0.0.3', '127.0.0.4', '127.0.0.2']);
    expect(parseTargets('::1,[fe80::1]')).toEqual(['::1', 'fe80::1']);
    expect(parseTargets(' 127.0.0.1, ,')).toEqual(['127.0.0.1']);
  });

  it('names the bad part of the input', () => {
    const error = (text: string): string => {
      try {
        parseTargets(text);
      } catch (err) {
        expect(err).toBeInstanceOf(TargetsError);
        return (err as Error).message;
      }
      throw new Error(`"${text}" was accepted`);
    };
    expect(error('')).toMatch(/^no targets/);
    expect(error('127.0.0.1,300.1.1.1')).toBe('"300.1.1.1": octet 300 is out of range (0–255)');
    expect(error('127.0.0.0/33')).toBe('"127.0.0.0/33": the prefix length must be 0–32');
    expect(error('127.0.0/24')).toBe('"127.0.0/24": "127.0.0" is not an IPv4 address (a.b.c.d)');
    expect(error('127.0.0.20-10')).toBe('"127.0.0.20-10": the range ends before it starts');
    expect(error('127.0.0.1-1.2.3.4.5')).toBe('"127.0.0.1-1.2.3.4.5": "1.2.3.4.5" is not an IPv4 address or last octet');
    expect(error('plc_7!')).toBe('"plc_7!" is not a CIDR block, an address range, an address or a host name');
    expect(error('-plc')).toMatch(/^"-plc" is not/);
  });

  it('refuses more than the cap before expanding anything', () => {
    expect(() => parseTargets('10.0.0.0/8')).toThrow('"10.0.0.0/8" is 16,777,214 addresses; a scan takes at most 65,536 (a /16): narrow the range');
    expect(() => parseTargets('0.0.0.0/0')).toThrow(TargetsError);
    expect(() => parseTargets('10.0.0.0/16,10.1.0.0/16')).toThrow(/131,068 addresses/);
    expect(() => parseTargets('127.0.0.0-127.1.0.0')).toThrow(/65,537 addresses/);
    expect(parseTargets('127.0.0.0-127.0.255.255')).toHaveLength(MAX_SCAN_ADDRESSES);
    expect(() => parseTargets('127.0.0.0/29', 5)).toThrow(/6 addresses; a scan takes at most 5/);
  });
});

describe('scanRequest', () => {
  it('fills in the defaults', () => {
    expect(scanRequest.parse({ targets: '127.0.0.1' })).toEqual({ targets: '127.0.0.1', ports: [502, 4840, 1883, 8883], concurrency: 64, timeoutMs: 1000 });
    expect(scanRequest.parse({ targets: '127.0.0.1', ports: [502, 502, 1883] }).ports).toEqual([502, 1883]);
  });

  it('reports bad targets, ports and bounds by field', () => {
    const issues = (input: unknown): string[] => {
      const parsed = scanRequest.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ targets: '10.0.0.0/8' })).toEqual(['targets: "10.0.0.0/8" is 16,777,214 addresses; a scan takes at most 65,536 (a /16): narrow the range']);
    expect(issues({ targets: '127.0.0.1', ports: [0] })[0]).toMatch(/^ports\.0: /);
    expect(issues({ targets: '127.0.0.1', ports: [] })[0]).toMatch(/^ports: /);
    expect(issues({ targets: '127.0.0.1', concurrency: 0 })[0]).toMatch(/^concurrency: /);
    expect(issues({ targets: '127.0.0.1', timeoutMs: 10 })[0]).toMatch(/^timeoutMs: /);
    expect(issues({ targets: '127.0.0.1', extra: 1 })[0]).toMatch(/extra/);
  });
});
