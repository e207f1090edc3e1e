import { describe, expect, it } from 'vitest';
import { archiveDownloadHref } from '../../../src/renderer/features/export/export-model.ts';

describe('archiveDownloadHref', () => {
  it('links a written archive in a browser to the serve command\'s /exports/ route', () => {
    expect(archiveDownloadHref('.plantbench/exports/line-20261122-101500.tar.gz', false)).toBe('/exports/line-20261122-101500.tar.gz');
  });
  it('offers no link in the Electron app, where the file is on the user\'s own disk', () => {
    expect(archiveDownloadHref('.plantbench/exports/line-20261122-101500.tar.gz', true)).toBeUndefined();
  });
  it('offers no link for anything but an archive directly in .plantbench/exports/', () => {
    for (const file of ['.plantbench/exports/sub/a.tar.gz', '.plantbench/a.tar.gz', 'exports/a.tar.gz', '.plantbench/exports/a.zip', '../.plantbench/exports/a.tar.gz']) {
      expect(archiveDownloadHref(file, false), file).toBeUndefined();
    }
  });
});
