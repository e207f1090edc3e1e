/**
 * Content Security Policy of the renderer. Pure (no Electron import) so the
 * build config can inject the same policy as a <meta> tag into index.html:
 * a file:// page gets no response headers, so the meta tag is what protects
 * the packaged app; the header set by main covers http(s) responses.
 */
export function contentSecurityPolicy(devServerUrl?: string): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'worker-src': ["'self'", 'blob:'],
    'object-src': ["'none'"],
    'frame-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
  };
  if (devServerUrl !== undefined) {
    // Vite dev server: the React Fast Refresh preamble is an inline script,
    // CSS is injected as <style> tags and HMR talks over a WebSocket.
    const origin = new URL(devServerUrl);
    const ws = `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}`;
    directives['script-src']!.push(origin.origin, "'unsafe-inline'");
    directives['style-src']!.push(origin.origin, "'unsafe-inline'");
    directives['connect-src']!.push(origin.origin, ws);
  }
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

/** The production policy (no dev server). */
export const CONTENT_SECURITY_POLICY: string = contentSecurityPolicy();
