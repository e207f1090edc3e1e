// The client PKI under `<dataDir>/pki` (node-opcua layout: own/, trusted/certs, rejected/, issuers/)
// and the explicit trust decision. Plain Node (no node-opcua): the CLI lists and trusts without
// loading the stack, and a running connector rescans the folders before each secure connect.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';

export function pkiFolder(dataDir: string): string {
  return join(dataDir, 'pki');
}

export function rejectedFolder(dataDir: string): string {
  return join(pkiFolder(dataDir), 'rejected');
}

export function trustedFolder(dataDir: string): string {
  return join(pkiFolder(dataDir), 'trusted', 'certs');
}

/** The first certificate of a DER chain (concatenated DER certificates, as OPC UA sends them). */
export function leafCertificate(der: Buffer): Buffer {
  if (der.length < 2 || der[0] !== 0x30) return der;
  const first = der[1]!;
  if (first < 0x80) return der.subarray(0, 2 + first);
  const bytes = first & 0x7f;
  let length = 0;
  for (let i = 0; i < bytes; i++) length = length * 256 + der[2 + i]!;
  return der.subarray(0, 2 + bytes + length);
}

/** SHA-1 thumbprint of the leaf certificate, lowercase hex (what OPC UA tools show). */
export function thumbprint(der: Buffer): string {
  return createHash('sha1').update(leafCertificate(der)).digest('hex');
}

export interface CertificateInfo {
  readonly thumbprint: string;
  /** e.g. "CN=Capper CP-20, O=Acme" */
  readonly subject: string;
  readonly notBefore?: string;
  readonly notAfter?: string;
}

export function describeCertificate(der: Buffer): CertificateInfo {
  const leaf = leafCertificate(der);
  try {
    const cert = new X509Certificate(leaf);
    return {
      thumbprint: thumbprint(leaf),
      subject: cert.subject.split('\n').join(', '),
      notBefore: new Date(cert.validFrom).toISOString(),
      notAfter: new Date(cert.validTo).toISOString(),
    };
  } catch {
    return { thumbprint: thumbprint(leaf), subject: '(unreadable certificate)' };
  }
}

function derOf(file: string): Buffer {
  const raw = readFileSync(file);
  const text = raw.toString('latin1');
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text);
  return m ? Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') : raw;
}

export interface CertificateEntry extends CertificateInfo {
  readonly status: 'rejected' | 'trusted';
  readonly file: string;
}

function entries(folder: string, status: CertificateEntry['status']): CertificateEntry[] {
  if (!existsSync(folder)) return [];
  const out: CertificateEntry[] = [];
  for (const name of readdirSync(folder).sort()) {
    if (!/\.(pem|der|crt|cer)$/i.test(name)) continue;
    const file = join(folder, name);
    try {
      out.push({ ...describeCertificate(derOf(file)), status, file });
    } catch {
      // not a certificate: skipped
    }
  }
  return out;
}

/** Server certificates the connector has seen: rejected (waiting for a decision) and trusted. */
export function listCertificates(dataDir: string): { rejected: CertificateEntry[]; trusted: CertificateEntry[] } {
  return { rejected: entries(rejectedFolder(dataDir), 'rejected'), trusted: entries(trustedFolder(dataDir), 'trusted') };
}

export class TrustError extends Error {}

/**
 * Trusts a rejected server certificate: moves it from `pki/rejected` to `pki/trusted/certs`.
 * `thumbprint` is the SHA-1 thumbprint or a unique prefix of at least 8 hex digits (":" and spaces are ignored).
 */
export function trustCertificate(dataDir: string, thumbprintOrPrefix: string): CertificateEntry {
  const wanted = thumbprintOrPrefix.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{8,40}$/.test(wanted)) {
    throw new TrustError(`"${thumbprintOrPrefix}" is not a SHA-1 thumbprint: give at least 8 hex digits`);
  }
  const { rejected, trusted } = listCertificates(dataDir);
  const already = trusted.find((c) => c.thumbprint.startsWith(wanted));
  const matches = rejected.filter((c) => c.thumbprint.startsWith(wanted));
  if (matches.length === 0) {
    if (already) throw new TrustError(`certificate ${already.thumbprint} (${already.subject}) is already trusted`);
    throw new TrustError(`no rejected certificate has a thumbprint starting with ${wanted} (in ${rejectedFolder(dataDir)})`);
  }
  if (matches.length > 1) {
    throw new TrustError(`${wanted} matches ${matches.length} rejected certificates (${matches.map((m) => m.thumbprint).join(', ')}): give more digits`);
  }
  const match = matches[0]!;
  mkdirSync(trustedFolder(dataDir), { recursive: true });
  const target = join(trustedFolder(dataDir), basename(match.file));
  renameSync(match.file, target);
  return { ...match, status: 'trusted', file: target };
}
