// The bundle's entry point (rolldown input of npm run build:gateway): plantbench-gateway.js.
// It only turns on V8's on-disk compile cache, then loads the runtime (a chunk of its own, so the
// cache covers it): a restart skips most of the parsing and compiling of the runtime's code.
// The cache lives in the state folder under systemd ($STATE_DIRECTORY), else in Node's default
// place in the temp folder (or wherever NODE_COMPILE_CACHE says).
import { enableCompileCache } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const state = process.env.STATE_DIRECTORY?.split(':')[0];
enableCompileCache(process.env.NODE_COMPILE_CACHE ?? (state ? join(state, 'compile-cache') : undefined));
const { gatewayMain } = await import('./main.ts');
process.exitCode = await gatewayMain(process.argv.slice(2), dirname(fileURLToPath(import.meta.url)));
