import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretStore, SecretStoreError, type SafeStorageLike } from '../../../src/main/secrets.ts';

// safeStorage stands in for the OS keychain: a reversible cipher (XOR with a key that can rotate)
// whose output never contains the plain text, so the tests can see what reaches the disk.
function fakeSafeStorage(options: { available?: boolean; backend?: string } = {}) {
  const state = { available: options.available ?? true, backend: options.backend ?? 'gnome_libsecret', key: 0x5a, rotated: false, encrypts: 0 };
  const xor = (bytes: Buffer, key: number): Buffer => Buffer.from(bytes.map((b) => b ^ key));
  const storage: SafeStorageLike = {
    isAsyncEncryptionAvailable: async () => state.available,
    encryptStringAsync: async (text) => {
      if (!state.available) throw new Error('encryption is not available');
      state.encrypts++;
      return Buffer.concat([Buffer.from([state.key]), xor(Buffer.from(text, 'utf8'), state.key)]);
    },
    decryptStringAsync: async (encrypted) => {
      const key = encrypted[0]!;
      return { result: xor(encrypted.subarray(1), key).toString('utf8'), shouldReEncrypt: key !== state.key };
    },
    getSelectedStorageBackend: () => state.backend,
  };
  return { storage, state };
}

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plantbench-secrets-'));
  file = join(dir, 'userData', 'secrets.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the safeStorage secret store', () => {
  it('stores values encrypted and reads them back', async () => {
    const { storage } = fakeSafeStorage();
    const store = createSecretStore(file, storage, 'linux');
    await store.set('UNS_PASSWORD', 'hunter2 ünïcode');
    await store.set('BROKER.token', 't-123');

    expect(await store.get('UNS_PASSWORD')).toBe('hunter2 ünïcode');
    expect(await store.get('MISSING')).toBeUndefined();
    expect(store.names()).toEqual(['BROKER.token', 'UNS_PASSWORD']);

    const onDisk = readFileSync(file, 'utf8');
    expect(onDisk).not.toContain('hunter2');
    expect(onDisk).not.toContain('t-123');
    const parsed = JSON.parse(onDisk) as { version: number; secrets: Record<string, string> };
    expect(parsed.version).toBe(1);
    expect(Object.keys(parsed.secrets).sort()).toEqual(['BROKER.token', 'UNS_PASSWORD']);

    // A second store on the same file (the next app start) sees the same values.
    expect(await createSecretStore(file, storage, 'linux').get('BROKER.token')).toBe('t-123');
  });

  it.skipIf(process.platform === 'win32')('writes the file readable by its owner only (0600)', async () => {
    const { storage } = fakeSafeStorage();
    const store = createSecretStore(file, storage, 'linux');
    await store.set('A', '1');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // A file that was loosened by hand is tightened again on the next write.
    const { chmodSync } = await import('node:fs');
    chmodSync(file, 0o644);
    await store.set('B', '2');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses to store when the OS offers no encryption, and says why', async () => {
    const { storage, state } = fakeSafeStorage({ available: false });
    const store = createSecretStore(file, storage, 'darwin');
    expect(await store.availability()).toEqual({ available: false, reason: expect.stringContaining('no keychain or keyring') });
    await expect(store.set('UNS_PASSWORD', 'x')).rejects.toThrow(SecretStoreError);
    await expect(store.set('UNS_PASSWORD', 'x')).rejects.toThrow(/cannot store secret "UNS_PASSWORD": .*no keychain or keyring/);
    expect(state.encrypts).toBe(0);
    expect(() => statSync(file)).toThrow(/ENOENT/);
  });

  it('refuses the fixed-key fallback on Linux (no keyring running)', async () => {
    const { storage } = fakeSafeStorage({ backend: 'basic_text' });
    const store = createSecretStore(file, storage, 'linux');
    const availability = await store.availability();
    expect(availability.available).toBe(false);
    expect(availability).toMatchObject({ reason: expect.stringMatching(/GNOME Keyring or KWallet.*PLANTBENCH_SECRET_<NAME>/) });
    await expect(store.set('X', 'y')).rejects.toThrow(/fixed built-in key/);
    // The backend name means nothing on other platforms.
    expect(await createSecretStore(file, storage, 'win32').availability()).toEqual({ available: true });
  });

  it('re-encrypts a value when the OS rotated its key', async () => {
    const { storage, state } = fakeSafeStorage();
    const store = createSecretStore(file, storage, 'linux');
    await store.set('TOKEN', 'abc');
    const before = readFileSync(file, 'utf8');
    state.key = 0x33;
    expect(await store.get('TOKEN')).toBe('abc');
    const after = readFileSync(file, 'utf8');
    expect(after).not.toBe(before);
    expect(await store.get('TOKEN')).toBe('abc');
  });

  it('deletes values', async () => {
    const { storage } = fakeSafeStorage();
    const store = createSecretStore(file, storage, 'linux');
    await store.set('A', '1');
    expect(await store.delete('A')).toBe(true);
    expect(await store.delete('A')).toBe(false);
    expect(await store.get('A')).toBeUndefined();
  });

  it('rejects names a ${secret:NAME} reference could not use', async () => {
    const store = createSecretStore(file, fakeSafeStorage().storage, 'linux');
    await expect(store.set('has space', 'x')).rejects.toThrow(/secret name "has space"/);
    await expect(store.get('../etc')).rejects.toThrow(/secret name/);
  });

  it('never overwrites a damaged file, and names it', async () => {
    const { storage } = fakeSafeStorage();
    const store = createSecretStore(file, storage, 'linux');
    await store.set('A', '1');
    writeFileSync(file, '{ not json');
    await expect(store.set('B', '2')).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
    await expect(store.get('A')).rejects.toThrow(/left as it is/);
    expect(readFileSync(file, 'utf8')).toBe('{ not json');
  });

  it('keeps every value when saves overlap', async () => {
    const store = createSecretStore(file, fakeSafeStorage().storage, 'linux');
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`S${i}`, `v${i}`)));
    expect(store.names()).toHaveLength(20);
    expect(await store.get('S17')).toBe('v17');
  });
});
