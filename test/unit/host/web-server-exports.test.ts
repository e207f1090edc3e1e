import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportArchive, startWebServer, type WebServer } from '../../../src/host/web-server.ts';

// Browser mode's download of a written gateway archive: GET /exports/<name> serves only
// <project>/.plantbench/exports/<name>.tar.gz, only with the access token.

const HOST = '127.0.0.201';
const ARCHIVE = gzipSync(Buffer.from('an archive, as export.write leaves it'));
const OUTSIDE = 'outside the exports folder';
let root: string;
let exportsDir: string;
let server: WebServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'plantbench-web-exports-'));
  exportsDir = join(root, '.plantbench', 'exports');
  mkdirSync(join(exportsDir, 'sub'), { recursive: true });
  writeFileSync(join(exportsDir, 'line-20261122-101500.tar.gz'), ARCHIVE);
  writeFileSync(join(exportsDir, 'notes.txt'), OUTSIDE);
  writeFileSync(join(exportsDir, 'sub', 'nested.tar.gz'), OUTSIDE);
  writeFileSync(join(root, '.plantbench', 'other.tar.gz'), OUTSIDE);
  writeFileSync(join(root, 'secret.tar.gz'), OUTSIDE);
  symlinkSync(join(root, 'secret.tar.gz'), join(exportsDir, 'link.tar.gz'));
  mkdirSync(join(exportsDir, 'folder.tar.gz'));
  const renderer = mkdtempSync(join(tmpdir(), 'plantbench-web-exports-ui-'));
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><html><body></body></html>');
  server = await startWebServer({ connect: () => () => {}, host: HOST, port: 0, rendererDir: renderer, projectRoot: root, token: 'tok-exports' });
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A raw GET: the path goes out exactly as written (no client-side normalisation of ../). */
function get(path: string, headers: Record<string, string> = { cookie: `plantbench_token_${new URL(server.origin).port}=${server.token}` }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('export archive download', () => {
  it('serves a written archive by name, as an attachment', async () => {
    const r = await get(`/exports/line-20261122-101500.tar.gz?token=${server.token}`, {});
    // The token in the query is swapped for the cookie first, as for pages.
    expect(r.status).toBe(303);
    const cookie = String(r.headers['set-cookie']).split(';')[0]!;
    const ok = await get(String(r.headers.location), { cookie });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/gzip');
    expect(ok.headers['content-disposition']).toBe('attachment; filename="line-20261122-101500.tar.gz"');
    expect(ok.body.equals(ARCHIVE)).toBe(true);
    expect(gunzipSync(ok.body).toString()).toBe('an archive, as export.write leaves it');
  });

  it('needs the access token', async () => {
    const r = await get('/exports/line-20261122-101500.tar.gz', {});
    expect(r.status).toBe(401);
    expect(r.body.includes(ARCHIVE)).toBe(false);
    expect((await get('/exports/line-20261122-101500.tar.gz', { cookie: `plantbench_token_${new URL(server.origin).port}=wrong` })).status).toBe(401);
  });

  it('serves nothing outside .plantbench/exports/ and nothing but .tar.gz archives in it', async () => {
    const attempts = [
      '/exports/../secret.tar.gz',
      '/exports/..%2Fsecret.tar.gz',
      '/exports/%2e%2e%2fsecret.tar.gz',
      '/exports/%2E%2E/other.tar.gz',
      '/exports/..%5Cother.tar.gz',
      '/exports/../../secret.tar.gz',
      '/exports//etc/passwd',
      '/exports/%2Fetc%2Fpasswd',
      '/exports/sub/nested.tar.gz',
      '/exports/sub%2Fnested.tar.gz',
      '/exports/link.tar.gz',
      '/exports/notes.txt',
      '/exports/folder.tar.gz',
      '/exports/missing.tar.gz',
      '/exports/',
      '/exports/line-20261122-101500.tar.gz%00.txt',
    ];
    for (const path of attempts) {
      const r = await get(path);
      expect.soft(r.status, path).not.toBe(200);
      expect.soft(r.body.toString().includes(OUTSIDE), path).toBe(false);
    }
  });

  it('exportArchive resolves only plain archive names inside the folder', () => {
    expect(exportArchive(exportsDir, 'line-20261122-101500.tar.gz')).toMatch(/line-20261122-101500\.tar\.gz$/);
    for (const name of ['../secret.tar.gz', '..', '.hidden.tar.gz', 'sub/nested.tar.gz', 'link.tar.gz', 'notes.txt', 'folder.tar.gz', 'a..tar.gz', '']) {
      expect(exportArchive(exportsDir, name), name).toBeUndefined();
    }
  });
});
