import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import type { SecretLookup } from '../shared/secret-refs.ts';

export class SecretsFileError extends Error {}

/**
 * Secrets for headless runs: ${env:NAME} from the environment; ${secret:NAME} from
 * PLANTBENCH_SECRET_<NAME> or a YAML secrets file (NAME: value) readable by its owner only.
 */
export function headlessSecretLookup(env: NodeJS.ProcessEnv = process.env, secretsFile?: string): SecretLookup {
  let fileSecrets: Record<string, string> = {};
  if (secretsFile) {
    const mode = statSync(secretsFile).mode;
    if ((mode & 0o077) !== 0) {
      throw new SecretsFileError(`${secretsFile}: secrets file must not be readable by group or others (chmod 600 ${secretsFile})`);
    }
    const parsed: unknown = parse(readFileSync(secretsFile, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new SecretsFileError(`${secretsFile}: expected a map of NAME: value`);
    }
    fileSecrets = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  return (kind, name) => (kind === 'env' ? env[name] : (env[`PLANTBENCH_SECRET_${name}`] ?? fileSecrets[name]));
}
