import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_SCHEMAS } from '../../../src/shared/model/index.ts';
import { formatProblem } from '../../../src/shared/problem.ts';
import { findSecretRefs, resolveSecretRefs } from '../../../src/shared/secret-refs.ts';
import { toCanonicalYaml } from '../../../src/store/canonical.ts';
import { listSecretRefs, loadProject, resolveDeviceSecrets } from '../../../src/store/project.ts';
import { headlessSecretLookup, SecretsFileError } from '../../../src/store/secrets.ts';
import { EXAMPLE } from '../../helpers/project.ts';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('secret references', () => {
  it('finds ${secret:…} and ${env:…} with their field paths', () => {
    expect(findSecretRefs({ url: 'mqtts://h', auth: { user: '${env:USER_A}', password: '${secret:PW}' }, list: ['x${env:B}y'] })).toEqual([
      { path: ['auth', 'user'], kind: 'env', name: 'USER_A' },
      { path: ['auth', 'password'], kind: 'secret', name: 'PW' },
      { path: ['list', 0], kind: 'env', name: 'B' },
    ]);
  });

  it('resolves into a copy and leaves the model, and so every save, untouched', () => {
    const loaded = loadProject(EXAMPLE);
    const entry = loaded.devices.get('enterprise-broker')!;
    const { devices, problems } = resolveDeviceSecrets(loaded, ['enterprise-broker'], (kind, name) => `${kind}-${name}-value`);
    expect(problems).toEqual([]);
    const resolved = devices.get('enterprise-broker') as { username?: string; password?: string };
    expect(resolved).toMatchObject({ username: 'env-UNS_USERNAME-value', password: 'secret-UNS_PASSWORD-value' });
    const saved = toCanonicalYaml(entry.raw, FILE_SCHEMAS.device);
    expect(saved).toBe(readFileSync(join(EXAMPLE, entry.file), 'utf8'));
    expect(saved).toContain('password: ${secret:UNS_PASSWORD}');
    expect(saved).not.toContain('value');
    expect((entry.model as { password?: string }).password).toBe('${secret:UNS_PASSWORD}');
  });

  it('reports every unresolved reference at its place', () => {
    const loaded = loadProject(EXAMPLE);
    const { problems } = resolveDeviceSecrets(loaded, ['enterprise-broker', 'filler'], () => undefined);
    expect(problems.map(formatProblem)).toEqual([
      'devices/enterprise-broker.yaml:9:11 username: unresolved ${env:UNS_USERNAME}: set environment variable UNS_USERNAME',
      'devices/enterprise-broker.yaml:10:11 password: unresolved ${secret:UNS_PASSWORD}: provide secret UNS_PASSWORD (env PLANTBENCH_SECRET_UNS_PASSWORD or the secrets file)',
    ]);
    expect(listSecretRefs(loaded)).toEqual([
      { kind: 'env', name: 'UNS_USERNAME', file: 'devices/enterprise-broker.yaml' },
      { kind: 'secret', name: 'UNS_PASSWORD', file: 'devices/enterprise-broker.yaml' },
    ]);
  });

  it('keeps unresolved references as written in the resolved copy', () => {
    expect(resolveSecretRefs({ a: 'pre-${env:NOPE}-post' }, () => undefined).value).toEqual({ a: 'pre-${env:NOPE}-post' });
  });

  it('reads ${secret:…} from PLANTBENCH_SECRET_<NAME> first, then a 0600 secrets file', () => {
    dir = mkdtempSync(join(tmpdir(), 'plantbench-secrets-'));
    const file = join(dir, 'secrets.yaml');
    writeFileSync(file, 'PW: from-file\nOTHER: 42\n');
    chmodSync(file, 0o600);
    const lookup = headlessSecretLookup({ PLANTBENCH_SECRET_PW: 'from-env', HOME_DIR: '/x' }, file);
    expect(lookup('secret', 'PW')).toBe('from-env');
    expect(lookup('secret', 'OTHER')).toBe('42');
    expect(lookup('env', 'HOME_DIR')).toBe('/x');
    expect(lookup('secret', 'MISSING')).toBeUndefined();
  });

  it('refuses a secrets file that group or others can read', () => {
    dir = mkdtempSync(join(tmpdir(), 'plantbench-secrets-'));
    const file = join(dir, 'secrets.yaml');
    writeFileSync(file, 'PW: x\n');
    chmodSync(file, 0o644);
    expect(() => headlessSecretLookup({}, file)).toThrow(SecretsFileError);
    expect(() => headlessSecretLookup({}, file)).toThrow(/must not be readable by group or others \(chmod 600/);
  });
});
