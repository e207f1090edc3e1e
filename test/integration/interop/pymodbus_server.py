#!/usr/bin/python3
"""A Modbus TCP server built with pymodbus (Debian's python3-pymodbus 3.0.0), for interop tests.

Usage: /usr/bin/python3 pymodbus_server.py PORT
       /usr/bin/python3 pymodbus_server.py PORT discovery
       /usr/bin/python3 pymodbus_server.py rtu discovery

Serves unit 1 on 127.0.0.1:PORT with known values; the registers are computed here with Python's
struct module, independently of Plantbench's codec. Addresses are wire offsets (zero_mode=True).
Prints "ready" on stdout once it listens.

"discovery" serves units 1 and 4 with disjoint ranges in every area (DISCOVERY) and prints
"ready " + JSON of what it serves. Over TCP it acts as a gateway: other unit ids get exception 0B
(gateway target failed to respond). With "rtu" it serves Modbus RTU on one end of a pseudo-terminal
pair relayed to a second one, whose path it prints ("pty" in the JSON) for the client to open, like a
serial cable between two ports; other unit ids get no answer, as on a real bus.
"""
import asyncio
import json
import os
import struct
import sys
import tty


def import_server():
    """pymodbus.server imports pyserial at load: Debian packages python3-serial and python3-serial-asyncio."""
    from pymodbus.server import StartAsyncTcpServer  # pylint: disable=import-outside-toplevel
    return StartAsyncTcpServer


def words(fmt, value):
    """Big-endian 16-bit registers of a value (ABCD)."""
    raw = struct.pack(">" + fmt, value)
    return list(struct.unpack(">" + "H" * (len(raw) // 2), raw))


def swap_bytes(regs):
    return [((r & 0xFF) << 8) | (r >> 8) for r in regs]


HOLDING = (
    words("f", 123.456)[::-1]          # 0-1   float32 CDAB (word swap)
    + words("I", 3456789012)           # 2-3   uint32 ABCD
    + words("h", -1234)                # 4     int16
    + [0] * 5                          # 5-9
    + words("d", 3.14159265358979)     # 10-13 float64 ABCD
    + words("q", -9007199254740993)    # 14-17 int64 ABCD (beyond 2^53: read as a decimal string)
    + swap_bytes(words("i", -2))       # 18-19 int32 BADC
)
INPUT = swap_bytes(words("f", -40.25)[::-1])  # 0-1 float32 DCBA
COILS = [True, False, True, True, False, False, False, True]


def discovery_block(ranges, value):
    """A sparse block serving [start, count] ranges, with value(address) at each address."""
    from pymodbus.datastore import ModbusSparseDataBlock  # pylint: disable=import-outside-toplevel

    return ModbusSparseDataBlock({start + i: value(start + i) for start, count in ranges for i in range(count)})


# unit -> area -> [start, count] ranges (wire offsets). Holding 40000-40001 hold 123.456 as float32 CDAB.
DISCOVERY = {
    1: {
        "holding": [[0, 10], [1000, 40], [40000, 4], [65530, 6]],
        "input": [[100, 4]],
        "coil": [[2048, 20]],
        "discrete-input": [[16, 8]],
    },
    4: {"holding": [[500, 20]], "input": [], "coil": [], "discrete-input": []},
}
FLOAT_AT = dict(zip([40000, 40001], words("f", 123.456)[::-1]))


def discovery_context():
    """Slave contexts for DISCOVERY; an area without ranges refuses every address."""
    from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext  # pylint: disable=import-outside-toplevel
    from pymodbus.exceptions import NoSuchSlaveException  # pylint: disable=import-outside-toplevel

    slaves = {}
    for unit, areas in DISCOVERY.items():
        slaves[unit] = ModbusSlaveContext(
            hr=discovery_block(areas["holding"], lambda a: FLOAT_AT.get(a, (a * 7) & 0xFFFF)),
            ir=discovery_block(areas["input"], lambda a: (a * 3) & 0xFFFF),
            co=discovery_block(areas["coil"], lambda a: a % 3 == 0),
            di=discovery_block(areas["discrete-input"], lambda a: a % 2 == 1),
            zero_mode=True,
        )

    class Gateway(ModbusServerContext):
        """Lets every unit id through the framer, so missing ones are answered with exception 0B."""

        def slaves(self):
            return list(range(0, 248))

        def __getitem__(self, unit):
            if unit not in slaves:
                raise NoSuchSlaveException(f"no unit {unit}")
            return slaves[unit]

    return slaves, Gateway


def pty_pair():
    """Two pseudo-terminals whose masters are relayed both ways: (server end, client end) paths."""
    loop = asyncio.get_running_loop()
    ends = []
    for _ in range(2):
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline: bytes pass as they are
        ends.append((master, slave, os.ttyname(slave)))
    (m1, _, server_path), (m2, _, client_path) = ends

    def relay(src, dst):
        def forward():
            try:
                os.write(dst, os.read(src, 4096))
            except OSError:
                pass
        loop.add_reader(src, forward)

    relay(m1, m2)
    relay(m2, m1)
    # The slave descriptors stay open here, so a master never reads a hang-up between clients.
    return server_path, client_path


async def discovery(mode, port):
    from pymodbus.framer.rtu_framer import ModbusRtuFramer  # pylint: disable=import-outside-toplevel
    from pymodbus.server import StartAsyncSerialServer  # pylint: disable=import-outside-toplevel

    slaves, gateway = discovery_context()
    served = {str(unit): areas for unit, areas in DISCOVERY.items()}
    if mode == "rtu":
        from pymodbus.datastore import ModbusServerContext  # pylint: disable=import-outside-toplevel

        server_path, client_path = pty_pair()
        server = await StartAsyncSerialServer(
            context=ModbusServerContext(slaves=slaves, single=False), framer=ModbusRtuFramer, port=server_path, baudrate=9600, defer_start=True
        )
        await server.start()
        print("ready " + json.dumps({"pty": client_path, "units": served}), flush=True)
        await asyncio.Event().wait()
    context = gateway(slaves=slaves, single=False)
    server = await import_server()(context=context, address=("127.0.0.1", port), defer_start=True, allow_reuse_address=True)
    serving = asyncio.ensure_future(server.serve_forever())
    await server.serving
    print("ready " + json.dumps({"port": port, "units": served}), flush=True)
    await serving


async def main(port):
    from pymodbus.datastore import (  # pylint: disable=import-outside-toplevel
        ModbusSequentialDataBlock,
        ModbusServerContext,
        ModbusSlaveContext,
    )

    start_server = import_server()
    unit = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, HOLDING),
        ir=ModbusSequentialDataBlock(0, INPUT),
        co=ModbusSequentialDataBlock(0, COILS),
        di=ModbusSequentialDataBlock(0, [False] * 8),
        zero_mode=True,
    )
    context = ModbusServerContext(slaves={1: unit}, single=False)
    server = await start_server(context=context, address=("127.0.0.1", port), defer_start=True, allow_reuse_address=True)
    serving = asyncio.ensure_future(server.serve_forever())
    await server.serving
    print("ready", flush=True)
    await serving


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "discovery":
        asyncio.run(discovery("rtu" if sys.argv[1] == "rtu" else "tcp", 0 if sys.argv[1] == "rtu" else int(sys.argv[1])))
    else:
        asyncio.run(main(int(sys.argv[1])))
