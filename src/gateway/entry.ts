// The bundle's entry point (rolldown input of npm run build:gateway): plantbench-gateway.js.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayMain } from './main.ts';

process.exitCode = await gatewayMain(process.argv.slice(2), dirname(fileURLToPath(import.meta.url)));
