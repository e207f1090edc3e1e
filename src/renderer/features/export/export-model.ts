import { EXPORTS_PATH } from '../../../shared/rpc/methods/export.ts';

/**
 * Where the browser downloads a written archive from `plantbench serve` (src/host/web-server.ts
 * serves <project>/.plantbench/exports/<name> at /exports/<name>, behind the access cookie), or
 * undefined when there is no such server: the Electron app (`electron`) has the file on its own disk.
 * `file` is export.write's path relative to the project.
 */
export function archiveDownloadHref(file: string, electron: boolean): string | undefined {
  const match = /^\.plantbench\/exports\/([^/]+\.tar\.gz)$/.exec(file);
  if (electron || !match) return undefined;
  return `${EXPORTS_PATH}${encodeURIComponent(match[1]!)}`;
}
