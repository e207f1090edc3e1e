// The client PKI folders and the explicit trust decision, on fixture certificates made with openssl.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { leafCertificate, listCertificates, thumbprint, trustCertificate, TrustError } from '../../../src/connectors/opcua/trust.ts';

const fixture = (name: string): string => new URL(`../../fixtures/opcua/${name}`, import.meta.url).pathname;
const PLC = { file: 'test-plc.pem', thumbprint: 'e6147f87b0627b38ed63ea4ffbf9804c85ba32c5', subject: 'CN=Test PLC, O=Acme' };
const OTHER = { file: 'other-plc.pem', thumbprint: '04039f243ce0be51bd5bc048cdb0dc0bf5f27e95' };

const der = (file: string): Buffer => {
  const pem = readFileSync(fixture(file), 'latin1');
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
};

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

function withRejected(...files: string[]): string {
  dataDir = mkdtempSync(join(tmpdir(), 'plantbench-trust-'));
  mkdirSync(join(dataDir, 'pki', 'rejected'), { recursive: true });
  for (const f of files) copyFileSync(fixture(f), join(dataDir, 'pki', 'rejected', f));
  return dataDir;
}

describe('certificates', () => {
  it('computes the SHA-1 thumbprint of the leaf of a DER chain', () => {
    const plc = der(PLC.file);
    expect(thumbprint(plc)).toBe(PLC.thumbprint);
    const chain = Buffer.concat([plc, der(OTHER.file)]);
    expect(leafCertificate(chain).equals(plc)).toBe(true);
    expect(thumbprint(chain)).toBe(PLC.thumbprint);
  });

  it('lists rejected and trusted certificates with thumbprint, subject and file', () => {
    const dir = withRejected(PLC.file);
    expect(listCertificates(dir)).toEqual({
      rejected: [expect.objectContaining({ thumbprint: PLC.thumbprint, subject: PLC.subject, status: 'rejected', file: join(dir, 'pki', 'rejected', PLC.file) })],
      trusted: [],
    });
  });

  it('trusts by a unique prefix of 8+ hex digits, moving the file to trusted/certs', () => {
    const dir = withRejected(PLC.file, OTHER.file);
    const entry = trustCertificate(dir, 'E6:14:7F:87:B0');
    expect(entry).toMatchObject({ thumbprint: PLC.thumbprint, status: 'trusted', file: join(dir, 'pki', 'trusted', 'certs', PLC.file) });
    expect(existsSync(join(dir, 'pki', 'rejected', PLC.file))).toBe(false);
    expect(listCertificates(dir)).toMatchObject({ rejected: [{ thumbprint: OTHER.thumbprint }], trusted: [{ thumbprint: PLC.thumbprint }] });
    expect(() => trustCertificate(dir, PLC.thumbprint)).toThrow(`certificate ${PLC.thumbprint} (${PLC.subject}) is already trusted`);
  });

  it('refuses short, unknown and ambiguous prefixes', () => {
    const dir = withRejected(PLC.file);
    expect(() => trustCertificate(dir, 'e6147f')).toThrow(TrustError);
    expect(() => trustCertificate(dir, 'e6147f')).toThrow('give at least 8 hex digits');
    expect(() => trustCertificate(dir, 'ffffffff')).toThrow('no rejected certificate has a thumbprint starting with ffffffff');
    copyFileSync(fixture(PLC.file), join(dir, 'pki', 'rejected', 'copy.pem'));
    expect(() => trustCertificate(dir, 'e6147f87')).toThrow('matches 2 rejected certificates');
  });
});
