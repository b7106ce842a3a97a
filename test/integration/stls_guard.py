#!/usr/bin/env python3
"""TCP relay that records what a client sends before TLS starts (STLS).

    stls_guard.py TARGET_PORT LOG COUNT

Listens on 127.0.0.1 (a port the kernel picks, printed on stdout as one
line), relays each connection to 127.0.0.1:TARGET_PORT, and exits after
COUNT connections ended (or 300 s).  Everything the client sends up to its
first TLS record (an octet 0x16: a TLS handshake; POP3 command lines never
contain it) is plaintext on the wire; LOG gets one line per connection:
    conn N tls=yes|no pretls=<Python repr of those octets>
The test then demands that this is exactly b'CAPA\\r\\nSTLS\\r\\n': no
credential octet before TLS.  Python 3 standard library only.
"""
import socket
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def relay(n, client, target, log, lock):
    upstream = socket.create_connection(("127.0.0.1", target), timeout=60)
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pre, tls = b"", False
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            if not tls:
                cut = data.find(b"\x16")
                if cut < 0:
                    pre += data
                else:
                    pre += data[:cut]
                    tls = True
            upstream.sendall(data)
    except OSError:
        pass
    try:
        upstream.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    back.join(60)
    with lock:
        log.write("conn %d tls=%s pretls=%r\n" % (n, "yes" if tls else "no", pre))
        log.flush()
    client.close()
    upstream.close()


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: stls_guard.py TARGET_PORT LOG COUNT\n")
        return 2
    target, count = int(sys.argv[1]), int(sys.argv[3])
    log = open(sys.argv[2], "a", encoding="ascii")
    lock = threading.Lock()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(300)
    print(srv.getsockname()[1], flush=True)
    threads = []
    try:
        for n in range(1, count + 1):
            client, _ = srv.accept()
            client.settimeout(60)
            t = threading.Thread(target=relay, args=(n, client, target, log, lock))
            t.start()
            threads.append(t)
    except socket.timeout:
        pass
    for t in threads:
        t.join(120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
