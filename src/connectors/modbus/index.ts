// The Modbus connector: modbus-source and modbus-sink over one connection per transport.
//
//   plan.ts        poll planning (pure)
//   transport.ts   opening a TCP or RTU link with modbus-serial
//   connection.ts  the shared connection: queue, one request in flight, reconnect, unit back-off;
//                  ModbusSession is what pollers, sinks and (later) discovery use
//   poller.ts      per-device poll groups shared by every source node of a run
//   kinds.ts       the node kinds
import type { Clock } from '../../engine/clock.ts';
import type { Connector, ConnectorEnv } from '../connector.ts';
import { ConnectionPool, type ModbusSession } from './connection.ts';
import { modbusKinds } from './kinds.ts';
import { DevicePoller } from './poller.ts';
import type { ModbusDevice } from './transport.ts';

export type { ConnectionState, ModbusSession, RequestOptions } from './connection.ts';
export { ConnectionPool } from './connection.ts';
export { ModbusRequestError } from './errors.ts';
export { planReads } from './plan.ts';
export type { ModbusDevice, ModbusTransport } from './transport.ts';

export interface ModbusConnector extends Connector {
  /** A session on the shared connection for a transport (discovery, tools). Close it when done. */
  openSession(transport: ModbusDevice['transport'], options?: { connectTimeoutMs?: number }): ModbusSession;
}

export function createModbusConnector(env: ConnectorEnv): ModbusConnector {
  const pool = new ConnectionPool(env.log);
  // Pollers are shared per device configuration and clock: nodes on one clock share polls.
  const pollers = new Map<Clock, Map<string, DevicePoller>>();

  const runtime = {
    poller(device: ModbusDevice, clock: Clock): DevicePoller {
      const key = JSON.stringify(device);
      let byKey = pollers.get(clock);
      if (!byKey) {
        byKey = new Map();
        pollers.set(clock, byKey);
      }
      let poller = byKey.get(key);
      if (!poller) {
        const session = pool.open(device.transport, { connectTimeoutMs: device.timeoutMs * 3 });
        const map = byKey;
        poller = new DevicePoller(device, session, clock, env.log, () => {
          map.delete(key);
          if (map.size === 0) pollers.delete(clock);
        });
        byKey.set(key, poller);
      }
      return poller;
    },
    session(device: ModbusDevice): ModbusSession {
      return pool.open(device.transport, { connectTimeoutMs: device.timeoutMs * 3 });
    },
  };

  return {
    kinds: modbusKinds(runtime),
    openSession: (transport, options) => pool.open(transport, options),
    async dispose() {
      const all = [...pollers.values()].flatMap((m) => [...m.values()]);
      pollers.clear();
      await Promise.all(all.map((p) => p.dispose()));
      await pool.closeAll();
    },
  };
}
