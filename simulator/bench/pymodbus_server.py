#!/usr/bin/python3
"""Reference Modbus TCP server for the capacity benchmark: pymodbus (Debian python3-pymodbus 3.0)
serving fixed input registers for a few unit ids, bound to 127.0.0.1 on a port the OS picks.

    /usr/bin/python3 pymodbus_server.py '{"address": 0, "registers": {"1": [...], "2": [...]}}'

Prints one JSON line {"pid": ..., "port": ..., "version": ...} once listening; exits when stdin closes or on SIGTERM.
"""
import asyncio
import json
import logging
import os
import signal
import sys
import threading

import pymodbus
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server.async_io import ModbusTcpServer


def build_context(address, registers):
    slaves = {}
    for unit, words in registers.items():
        # zero_mode: request address N reads block index N, as on the wire
        slaves[int(unit)] = ModbusSlaveContext(ir=ModbusSequentialDataBlock(address, list(words)), zero_mode=True)
    return ModbusServerContext(slaves=slaves, single=False)


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


async def main():
    cfg = json.loads(sys.argv[1])
    context = build_context(cfg.get("address", 0), cfg["registers"])
    # backlog: 64 clients connect at once; the default of 20 would delay some by a SYN retry
    server = ModbusTcpServer(context, address=("127.0.0.1", 0), backlog=256)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    print(json.dumps({"pid": os.getpid(), "port": port, "version": pymodbus.__version__}), flush=True)
    await task


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    asyncio.run(main())
