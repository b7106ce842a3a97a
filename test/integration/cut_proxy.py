#!/usr/bin/env python3
"""A one-connection TCP relay on 127.0.0.1 that loses the connection on purpose.

    cut_proxy.py PORT PORTFILE TARGET_PORT LIMIT LOG

Listens on 127.0.0.1:PORT (0: a free port; the port is written to PORTFILE), relays one
connection to 127.0.0.1:TARGET_PORT and exits. After LIMIT octets from the
server to the client (0: no limit) it closes both sides, as a lost connection
would: the client gets those LIMIT octets, then end of stream. Everything the
server sent is appended to LOG, so a first run without a limit tells the test
where each message lies in the stream. fetch_test.sh uses it to cut a fetch
inside and between messages.
"""
import os
import select
import socket
import sys

port, portfile, target, limit, log = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
ls.settimeout(30)
client, _ = ls.accept()
server = socket.create_connection(("127.0.0.1", target))
sent = 0
with open(log, "ab") as out:
    while True:
        r, _, _ = select.select([client, server], [], [], 30)
        if not r:
            break
        if client in r:
            data = client.recv(65536)
            if not data:
                break
            server.sendall(data)
        if server in r:
            data = server.recv(65536)
            if not data:
                break
            if limit and sent + len(data) >= limit:
                data = data[: limit - sent]
                client.sendall(data)
                out.write(data)
                break
            client.sendall(data)
            out.write(data)
            sent += len(data)
# FIN, not RST: the client reads every octet relayed, then end of stream.
server.close()
client.shutdown(socket.SHUT_WR)
client.settimeout(30)
try:
    while client.recv(65536):
        pass
except OSError:
    pass
client.close()
