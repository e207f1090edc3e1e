#!/usr/bin/python3
"""A pymodbus TCP server with REGISTERS holding registers and COILS coils (all zero), for the Modbus
benchmark's comparison row: a server that answers without modbus-serial ServerTCP's per-request
timer. Usage: /usr/bin/python3 pymodbus_server.py PORT REGISTERS COILS. Prints "ready" when listening.
"""
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "integration", "interop"))
from pymodbus_server import import_server  # noqa: E402  pylint: disable=wrong-import-position


async def main(port, registers, coils):
    from pymodbus.datastore import (  # pylint: disable=import-outside-toplevel
        ModbusSequentialDataBlock,
        ModbusServerContext,
        ModbusSlaveContext,
    )

    unit = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, [0] * registers),
        co=ModbusSequentialDataBlock(0, [False] * coils),
        zero_mode=True,
    )
    server = await import_server()(context=ModbusServerContext(slaves={1: unit}, single=False), address=("127.0.0.1", port), defer_start=True)
    serving = asyncio.ensure_future(server.serve_forever())
    await server.serving
    print("ready", flush=True)
    await serving


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
