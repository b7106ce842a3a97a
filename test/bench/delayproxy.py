#!/usr/bin/env python3
"""Loopback TCP proxy that delays each direction by a fixed time (there is no
netem on the bench machines): a round trip through it costs 2 x DELAY more.

    delayproxy.py TARGET_PORT DELAY_MS CONN_LOG

Listens on 127.0.0.1 (an ephemeral port, printed as the first line on stdout)
and forwards each connection to 127.0.0.1:TARGET_PORT. Every chunk read is
written DELAY_MS after it arrived, in arrival order, so data and order are
kept; an EOF is passed on the same way. Each accepted connection appends a
line to CONN_LOG, so the bench can tell how many connections a client made.
"""
import asyncio
import socket
import sys
import time


async def pump(reader, writer, delay):
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    task = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((time.monotonic() + delay, data if data else None))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def main():
    target, delay, log = int(sys.argv[1]), float(sys.argv[2]) / 1000.0, sys.argv[3]

    async def handle(c_reader, c_writer):
        with open(log, "a") as f:
            f.write("connection\n")
        try:
            s_reader, s_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            c_writer.close()
            return
        nodelay(c_writer)
        nodelay(s_writer)
        await asyncio.gather(pump(c_reader, s_writer, delay), pump(s_reader, c_writer, delay),
                             return_exceptions=True)
        for w in (c_writer, s_writer):
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: delayproxy.py TARGET_PORT DELAY_MS CONN_LOG")
    asyncio.run(main())
