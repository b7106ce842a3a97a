"""Scriptable hostile POP3 server (standard library only).

One HostileServer serves one case run: it listens on 127.0.0.1 (a free port),
accepts connections, optionally starts TLS at once (implicit TLS), sends the
greeting and then answers each client command from the case's script, falling
back to a small well-behaved mailbox. It records every byte the client sent,
tagged with the phase ("plain" before TLS, "tls" after), so cases can assert
on them.

Script values (case["greeting"], case["replies"][KEY]):
  bytes                       send these bytes (case-level chunking applies)
  list of actions:
    ("send", bytes[, {"chunk": n, "delay": s}])   send, split into n-byte
                                 segments with a pause of s seconds between
    ("sleep", s)               wait
    ("close",)                 close the connection (FIN)
    ("rst",)                   reset the connection (SO_LINGER 0)
    ("tls_close",)             TLS close_notify, then close
    ("silence",)               stop answering; keep reading until the client
                                 closes or the run ends
    ("starttls",)              TLS handshake on the live connection
    ("default",)               what the well-behaved server would do
    ("readline",)              read one client line (a SASL response): it is
                                 recorded like every client byte, not answered
    ("budget", n)              from now on send at most n more octets on this
                                 connection, then close it (a cut mid-exchange)
    ("call", fn)               fn(conn, line): a scripted dialogue (SASL); conn
                                 offers readline(), send(), note(), close()
Reply keys, first match wins: "VERB#n" (n-th such command, 1-based),
"VERB@tls" (while TLS is active), "VERB@plain", "VERB".
case["sasl"]: mechanism names for a "SASL ..." line in the default CAPA.
Pipelining (RFC 2449): case["pipelining"] adds PIPELINING to the default CAPA
("plain": only before TLS). case["merge"]: while further complete command
lines are already buffered, replies are held and go out together once the
batch is answered (one send, so case-level chunking or case["split_at"] - a
cut after that many octets of the first merged output of two or more replies,
with a pause - decides the segments); every action but "send"/"default" sends
what is held first. srv.batches: how many command lines each recv completed.
case["first_only"]: a line that arrived behind another in the same recv is
not answered (a server that reads only the first command of a batch).
"""

import socket
import ssl
import struct
import threading
import time


def stuff(body):
    """Dot-stuff a message (CRLF lines, ending in CRLF) and append the end marker."""
    if body and not body.endswith(b"\r\n"):
        raise ValueError("message must end with CRLF")
    lines = body[:-2].split(b"\r\n") if body else []
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines) + b".\r\n"


DEFAULT_MESSAGES = {
    1: b"From: sender@example.org\r\nTo: alice@localhost\r\nSubject: one\r\n\r\n"
       b"Hello Alice.\r\n.leading dot\r\n..two dots\r\n.\r\nlast line\r\n",
    2: b"From: sender@example.org\r\nSubject: two\r\n\r\nSecond message.\r\n",
}


class _Closed(Exception):
    pass


class HostileServer:
    def __init__(self, case, pki, run_deadline=40.0):
        self.case = case
        self.pki = pki
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.lsock.settimeout(0.1)
        self.port = self.lsock.getsockname()[1]
        self.stop_evt = threading.Event()
        self.deadline = time.monotonic() + run_deadline
        self.records = []          # [phase, bytearray] in order
        self.notes = []            # what the server saw go wrong (diagnostics)
        self.connections = 0
        self.messages = case.get("messages", DEFAULT_MESSAGES)
        self.chunk = case.get("chunk")
        self.chunk_delay = case.get("chunk_delay", 0.0)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.conn_threads = []
        self.batches = []          # command lines completed by each recv, in order

    # ---- lifecycle -------------------------------------------------------
    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_evt.set()
        self.thread.join(5)
        for t in self.conn_threads:
            t.join(5)
        try:
            self.lsock.close()
        except OSError:
            pass

    def transcript(self):
        """(all bytes, plaintext bytes, tls bytes)."""
        plain = b"".join(bytes(b) for p, b in self.records if p == "plain")
        tls = b"".join(bytes(b) for p, b in self.records if p == "tls")
        allb = b"".join((b"\n<<TLS>>\n" if p == "tls" else b"") + bytes(b) for p, b in self.records)
        return allb, plain, tls

    def _serve(self):
        while not self.stop_evt.is_set():
            try:
                s, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._conn_main, args=(s,), daemon=True)
            self.conn_threads.append(t)
            t.start()

    def _conn_main(self, s):
        c = _Conn(self, s)
        try:
            c.run()
        except _Closed:
            pass
        except Exception as e:  # diagnostics only: the client side decides pass/fail
            self.notes.append("server: %s: %s" % (type(e).__name__, e))
        finally:
            c.close()

    # ---- TLS ---------------------------------------------------------------
    def tls_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert = self.case.get("cert", "good")
        ctx.load_cert_chain(self.pki[cert + ".pem"], self.pki[cert + ".key"])
        return ctx


class _Conn:
    def __init__(self, srv, sock):
        self.srv = srv
        self.sock = sock
        self.raw = sock
        self.tls = False
        self.buf = b""
        self.counts = {}
        self.closed = False
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(0.05)
        self.record = None
        self.budget = None         # octets still allowed before the cut ("budget")
        self.holding = False       # replies are being merged (case["merge"])
        self.hold = b""
        self.split_done = False
        self._new_record()

    def _new_record(self):
        self.record = ["tls" if self.tls else "plain", bytearray()]
        self.srv.records.append(self.record)

    # ---- I/O -------------------------------------------------------------
    def _alive(self):
        if self.srv.stop_evt.is_set() or time.monotonic() > self.srv.deadline:
            raise _Closed()

    def recv_some(self):
        while True:
            self._alive()
            try:
                d = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except (ConnectionError, ssl.SSLError, OSError):
                raise _Closed()
            if not d:
                raise _Closed()
            self.record[1] += d
            return d

    def readline(self):
        self.fresh = b"\n" not in self.buf  # the first line of what the next recv brings
        while b"\n" not in self.buf:
            before = self.buf.count(b"\n")
            self.buf += self.recv_some()
            if self.buf.count(b"\n") > before:
                self.srv.batches.append(self.buf.count(b"\n") - before)
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def note(self, text):
        self.srv.notes.append(text)

    def send(self, data, chunk=None, delay=None):
        if self.holding:
            self.hold += data
            return
        if self.budget is not None and len(data) > self.budget:
            # The cut: what fits, then a FIN.
            part, self.budget = data[:self.budget], 0
            if part:
                self._sendall(part)
            self.close()
            raise _Closed()
        if self.budget is not None:
            self.budget -= len(data)
        chunk = chunk if chunk is not None else self.srv.chunk
        delay = delay if delay is not None else self.srv.chunk_delay
        if not chunk:
            self._sendall(data)
            return
        for i in range(0, len(data), chunk):
            self._sendall(data[i:i + chunk])
            if delay:
                time.sleep(delay)

    def _sendall(self, data):
        view = memoryview(data)
        while len(view):
            self._alive()
            try:
                n = self.sock.send(view)
            except (socket.timeout, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                continue
            except (ConnectionError, ssl.SSLError, OSError):
                raise _Closed()
            view = view[n:]

    def flush_hold(self):
        """Sends the replies held for a merged batch (see case["merge"])."""
        data, self.hold, self.holding = self.hold, b"", False
        if not data:
            return
        cut = self.srv.case.get("split_at")
        if cut is not None and not self.split_done and self.merged > 1 and 0 < cut < len(data):
            self.split_done = True
            self.send(data[:cut])
            time.sleep(0.05)
            self.send(data[cut:])
            return
        self.send(data)

    def close(self):
        if self.closed:
            return
        if self.hold:
            try:
                self.flush_hold()
            except _Closed:
                pass
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def starttls(self):
        ctx = self.srv.tls_context()
        s = ctx.wrap_socket(self.raw, server_side=True, do_handshake_on_connect=False)
        s.settimeout(0.05)
        while True:
            self._alive()
            try:
                s.do_handshake()
                break
            except (socket.timeout, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (ssl.SSLError, ConnectionError, OSError) as e:
                self.srv.notes.append("handshake failed: %s" % e)
                raise _Closed()
        self.sock = s
        self.tls = True
        self.buf = b""
        self._new_record()

    def silence(self):
        while True:
            self.recv_some()

    # ---- script ----------------------------------------------------------
    def do(self, script, line=b""):
        if script is None or (isinstance(script, list) and script == [("default",)]):
            script = [("default",)]
        if isinstance(script, (bytes, bytearray)):
            self.send(bytes(script))
            return
        for act in script:
            op = act[0]
            if op not in ("send", "default"):
                self.flush_hold()
            if op == "send":
                opts = act[2] if len(act) > 2 else {}
                self.send(act[1], opts.get("chunk"), opts.get("delay"))
            elif op == "sleep":
                end = time.monotonic() + act[1]
                while time.monotonic() < end:
                    self._alive()
                    time.sleep(0.01)
            elif op == "close":
                self.close()
                raise _Closed()
            elif op == "rst":
                self.raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close()
                raise _Closed()
            elif op == "tls_close":
                # TLS close_notify (a clean TLS end), then close.
                try:
                    self.sock.unwrap()
                except (ssl.SSLError, OSError, ValueError):
                    pass
                self.close()
                raise _Closed()
            elif op == "silence":
                self.silence()
            elif op == "starttls":
                self.starttls()
            elif op == "default":
                self.default(line)
            elif op == "readline":
                self.readline()
            elif op == "budget":
                self.budget = act[1]
            elif op == "call":
                act[1](self, line)
            else:
                raise ValueError("unknown action %r" % (op,))

    def run(self):
        case = self.srv.case
        if case.get("server_tls") == "implicit":
            if case.get("handshake") == "silence":
                self.silence()
            self.starttls()
        self.do(case.get("greeting", b"+OK hostile POP3 server ready\r\n"))
        replies = case.get("replies", {})
        self.merged = 0            # replies in what is held
        while True:
            if not self.holding:
                self.merged = 0
            line = self.readline()
            if case.get("first_only") and not self.fresh:
                self.note("not answered: %r" % line)
                if b"\n" not in self.buf:
                    self.flush_hold()
                continue
            self.holding = bool(case.get("merge")) and (b"\n" in self.buf or self.holding)
            self.merged += 1
            verb = line.split(b" ", 1)[0].upper().decode("ascii", "replace")
            n = self.counts[verb] = self.counts.get(verb, 0) + 1
            keys = ["%s#%d" % (verb, n), verb + ("@tls" if self.tls else "@plain"), verb]
            script = None
            for k in keys:
                if k in replies:
                    script = replies[k]
                    break
            self.do(script, line)
            if b"\n" not in self.buf:
                self.flush_hold()

    # ---- the well-behaved mailbox ----------------------------------------
    def default(self, line):
        parts = line.split()
        verb = parts[0].upper() if parts else b""
        args = parts[1:]
        msgs = self.srv.messages
        case = self.srv.case

        def msg_arg():
            try:
                n = int(args[0])
            except (IndexError, ValueError):
                return None
            return n if n in msgs else None

        if verb == b"CAPA":
            caps = [b"USER", b"UIDL", b"TOP"]
            if not self.tls and case.get("stls_offer", True) and case.get("server_tls") != "implicit":
                caps.append(b"STLS")
            if case.get("pipelining") is True or (case.get("pipelining") == "plain" and not self.tls):
                caps.append(b"PIPELINING")
            if case.get("sasl"):
                caps.append(b"SASL " + b" ".join(m.encode() for m in case["sasl"]))
            self.send(b"+OK Capability list follows\r\n" + b"".join(c + b"\r\n" for c in caps) + b".\r\n")
        elif verb == b"STLS":
            if self.tls:
                self.send(b"-ERR already in TLS\r\n")
            else:
                self.send(b"+OK Begin TLS negotiation\r\n")
                self.starttls()
        elif verb in (b"USER", b"NOOP", b"RSET"):
            self.send(b"+OK\r\n")
        elif verb in (b"PASS", b"APOP"):
            self.send(b"+OK logged in\r\n")
        elif verb == b"STAT":
            self.send(b"+OK %d %d\r\n" % (len(msgs), sum(len(m) for m in msgs.values())))
        elif verb in (b"LIST", b"UIDL"):
            def entry(n):
                return b"%d %d" % (n, len(msgs[n])) if verb == b"LIST" else b"%d uid-%d" % (n, n)
            if args:
                n = msg_arg()
                self.send(b"+OK " + entry(n) + b"\r\n" if n else b"-ERR no such message\r\n")
            else:
                self.send(b"+OK\r\n" + b"".join(entry(n) + b"\r\n" for n in sorted(msgs)) + b".\r\n")
        elif verb in (b"RETR", b"TOP"):
            n = msg_arg()
            if n is None:
                self.send(b"-ERR no such message\r\n")
                return
            body = msgs[n]
            if verb == b"TOP":
                head, _, rest = body.partition(b"\r\n\r\n")
                k = int(args[1]) if len(args) > 1 else 0
                lines = rest.split(b"\r\n")[:-1][:k]
                body = head + b"\r\n\r\n" + b"".join(l + b"\r\n" for l in lines)
            self.send(b"+OK %d octets\r\n" % len(body) + stuff(body))
        elif verb == b"DELE":
            self.send(b"+OK deleted\r\n" if msg_arg() else b"-ERR no such message\r\n")
        elif verb == b"QUIT":
            self.send(b"+OK bye\r\n")
            self.close()
            raise _Closed()
        else:
            self.send(b"-ERR unknown command\r\n")
