import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// The desktop's ${secret:NAME} store: one JSON file in userData holding each value encrypted with
// Electron's safeStorage (the OS keychain, DPAPI or the Linux keyring protects the key). The file is
// written atomically with mode 0600. Values never leave main except as answers to the host.

/** The part of Electron's safeStorage this store uses (a fake stands in for it in tests). */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  /** Linux only: which keyring backs the key. */
  getSelectedStorageBackend?(): string;
}

export type Availability = { readonly available: true } | { readonly available: false; readonly reason: string };

export interface SecretStore {
  /** Whether values can be stored, and if not, why. */
  availability(): Promise<Availability>;
  get(name: string): Promise<string | undefined>;
  /** Throws SecretStoreError (with the reason) when encryption is unavailable. */
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<boolean>;
  names(): string[];
}

export class SecretStoreError extends Error {}

/** The same names `${secret:NAME}` accepts (src/shared/secret-refs.ts). */
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,199}$/;
const MAX_VALUE_BYTES = 64 * 1024;

interface SecretsFile {
  version: 1;
  /** NAME → base64 of the safeStorage ciphertext. */
  secrets: Record<string, string>;
}

export function createSecretStore(file: string, safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): SecretStore {
  // Writes are serialised so two saves never interleave their read-modify-write.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  async function availability(): Promise<Availability> {
    if (!(await safeStorage.isAsyncEncryptionAvailable())) {
      return { available: false, reason: 'the operating system offers no encryption for this user (no keychain or keyring is available)' };
    }
    // On Linux without GNOME Keyring or KWallet, Electron falls back to a key written into its own
    // source code: that is obfuscation, not encryption, so we refuse it.
    if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
      return {
        available: false,
        reason: 'no keyring is running (GNOME Keyring or KWallet), so Electron would encrypt with a fixed built-in key; start a keyring, or give the secret as PLANTBENCH_SECRET_<NAME> in the environment',
      };
    }
    return { available: true };
  }

  function read(): SecretsFile {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new SecretStoreError(`${file}: not valid JSON (${(err as Error).message}); it was left as it is`);
    }
    const secrets = (parsed as Partial<SecretsFile> | null)?.secrets;
    if ((parsed as Partial<SecretsFile> | null)?.version !== 1 || secrets === null || typeof secrets !== 'object' || Array.isArray(secrets)) {
      throw new SecretStoreError(`${file}: expected {"version": 1, "secrets": {...}}; it was left as it is`);
    }
    return { version: 1, secrets: Object.fromEntries(Object.entries(secrets).filter(([, v]) => typeof v === 'string')) as Record<string, string> };
  }

  function write(data: SecretsFile): void {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600); // in case the file existed with a looser mode
    renameSync(temp, file);
  }

  function checkName(name: string): void {
    if (!NAME.test(name)) throw new SecretStoreError(`secret name "${name}": use letters, digits, "_", "." and "-", starting with a letter or "_"`);
  }

  async function requireEncryption(action: string): Promise<void> {
    const a = await availability();
    if (!a.available) throw new SecretStoreError(`cannot ${action}: ${a.reason}`);
  }

  return {
    availability,
    async get(name) {
      checkName(name);
      const stored = read().secrets[name];
      if (stored === undefined) return undefined;
      await requireEncryption(`read secret "${name}"`);
      const { result, shouldReEncrypt } = await safeStorage.decryptStringAsync(Buffer.from(stored, 'base64'));
      if (shouldReEncrypt) {
        // The OS rotated the key: store the value again under the new one (best effort).
        await serial(async () => {
          const data = read();
          data.secrets[name] = (await safeStorage.encryptStringAsync(result)).toString('base64');
          write(data);
        }).catch(() => undefined);
      }
      return result;
    },
    set(name, value) {
      return serial(async () => {
        checkName(name);
        if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new SecretStoreError(`secret "${name}" is larger than ${MAX_VALUE_BYTES / 1024} KiB`);
        await requireEncryption(`store secret "${name}"`);
        const data = read();
        data.secrets[name] = (await safeStorage.encryptStringAsync(value)).toString('base64');
        write(data);
      });
    },
    delete(name) {
      return serial(async () => {
        checkName(name);
        const data = read();
        if (!Object.hasOwn(data.secrets, name)) return false;
        delete data.secrets[name];
        write(data);
        return true;
      });
    },
    names() {
      return Object.keys(read().secrets).sort();
    },
  };
}
