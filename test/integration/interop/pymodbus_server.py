#!/usr/bin/python3
"""A Modbus TCP server built with pymodbus (Debian's python3-pymodbus 3.0.0), for interop tests.

Usage: /usr/bin/python3 pymodbus_server.py PORT

Serves unit 1 on 127.0.0.1:PORT with known values; the registers are computed here with Python's
struct module, independently of Plantbench's codec. Addresses are wire offsets (zero_mode=True).
Prints "ready" on stdout once it listens.
"""
import asyncio
import struct
import sys


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
    asyncio.run(main(int(sys.argv[1])))
