// `plantbench trust <project> [thumbprint] [--list] [--json]`: the explicit decision on OPC UA server
// certificates. A connection to an unknown server certificate fails with its thumbprint and leaves
// it in .plantbench/pki/rejected; this lists those and moves one to the trusted list.
import { join, relative, resolve } from 'node:path';
import { listCertificates, trustCertificate, TrustError, type CertificateEntry } from '../../connectors/opcua/trust.ts';
import { paint, printJson } from '../output.ts';

function table(title: string, entries: readonly CertificateEntry[]): string {
  const lines = [paint('bold', `${title} (${entries.length})`)];
  for (const e of entries) {
    lines.push(`  ${e.thumbprint}  ${e.subject}${e.notAfter ? paint('dim', `  valid to ${e.notAfter.slice(0, 10)}`) : ''}`);
    lines.push(paint('dim', `    ${relative(process.cwd(), e.file) || e.file}`));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Lists rejected and trusted server certificates (no thumbprint, or `list`), or trusts the rejected
 * certificate whose SHA-1 thumbprint starts with `thumbprint` (at least 8 hex digits, unique).
 * Exit code: 0 done, 1 no such (or an ambiguous) certificate, 2 not a thumbprint.
 */
export async function trust(projectDir: string, thumbprint: string | undefined, options: { json: boolean; list: boolean }): Promise<number> {
  const dataDir = join(resolve(projectDir), '.plantbench');
  let trusted: CertificateEntry | undefined;
  if (thumbprint !== undefined) {
    try {
      trusted = trustCertificate(dataDir, thumbprint);
    } catch (err) {
      if (!(err instanceof TrustError)) throw err;
      if (options.json) printJson({ error: err.message });
      else process.stderr.write(`plantbench trust: ${err.message}\n`);
      return /not a SHA-1 thumbprint/.test(err.message) ? 2 : 1;
    }
  }
  const listing = options.list || thumbprint === undefined ? listCertificates(dataDir) : undefined;
  if (options.json) {
    printJson({ ...(trusted ? { trusted: trusted } : {}), ...(listing ? { certificates: listing } : {}) });
    return 0;
  }
  if (trusted) {
    process.stdout.write(`${paint('green', 'trusted')} ${trusted.thumbprint}  ${trusted.subject}\n`);
    process.stdout.write(paint('dim', `  now in ${relative(process.cwd(), trusted.file) || trusted.file}; the next connection attempt uses it\n`));
  }
  if (listing) {
    process.stdout.write(table('Rejected server certificates', listing.rejected));
    process.stdout.write(table('Trusted server certificates', listing.trusted));
    if (listing.rejected.length > 0) {
      process.stdout.write(paint('dim', `Trust one after checking it with the device owner: plantbench trust ${projectDir} <thumbprint, 8+ digits>\n`));
    }
  }
  return 0;
}
