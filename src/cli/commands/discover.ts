// `plantbench discover <scan|opcua|modbus|mqtt> ...`: each area parses its own options
// (src/cli/commands/discover/<area>.ts) and loads its protocol stack only when used.
import { UsageError } from '../output.ts';

export const DISCOVER_HELP = `Usage: plantbench discover <area> <target> [options]

Areas:
  scan <cidr|host-range>        Find Modbus, OPC UA and MQTT endpoints (TCP probe + protocol handshake).
  opcua <endpointUrl>           Endpoints, security and certificate; browse, read attributes, crawl.
  modbus <host[:port]|serial>   Sweep unit ids, probe readable register ranges, show a register view.
  mqtt <url>                    Capture a broker's topic tree with rates, payload types and schemas.

Run "plantbench discover <area> --help" for the options of each area.
`;

export async function discover(argv: readonly string[]): Promise<number> {
  const [area, ...rest] = argv;
  switch (area) {
    case 'scan':
      return (await import('./discover/scan.ts')).discoverScan(rest);
    case 'opcua':
      return (await import('./discover/opcua.ts')).discoverOpcua(rest);
    case 'modbus':
      return (await import('./discover/modbus.ts')).discoverModbus(rest);
    case 'mqtt':
      return (await import('./discover/mqtt.ts')).discoverMqtt(rest);
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(DISCOVER_HELP);
      return area ? 0 : 2;
    default:
      throw new UsageError(`unknown discover area "${area}" (scan, opcua, modbus or mqtt)`);
  }
}
