#!/usr/bin/env python3
"""OAuth 2.0 token-introspection endpoint (RFC 7662) for the Dovecot fixture.

    oauth2_introspect.py TABLE LOG

TABLE is JSON written by dovecot.sh:
    {"client_id": ..., "client_secret": ..., "issuer": ...,
     "tokens": {"<token>": {"name": "alice", "username": "alice",
                            "scope": "mail", "exp": <unix time>}}}
Listens on 127.0.0.1, a port the kernel picks; prints that port on stdout
(one line) once it accepts connections.  Dovecot's oauth2 passdb
(introspection_mode = post) sends "token=...&client_id=...&client_secret=..."
to POST /introspect.  The answer is what RFC 7662 prescribes: a known token
whose "exp" lies in the future gets {"active": true, "username", "scope",
"exp", "token_type"}; an expired or unknown one gets {"active": false} (the
RFC forbids telling them apart); wrong client credentials get 401.
Each decision goes to LOG as "introspect NAME -> VERDICT" (NAME from the
table, or "unknown"; never the token).  GET /.well-known/openid-configuration
serves the discovery document Dovecot names in its error JSON.
Python 3 standard library only.
"""
import hmac
import http.server
import json
import sys
import time
import urllib.parse


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: oauth2_introspect.py TABLE LOG\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        table = json.load(f)
    log = open(sys.argv[2], "a", buffering=1, encoding="utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        # HTTP/1.1 keep-alive: Dovecot's HTTP client reuses connections
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # noqa: N802 (stdlib name)
            # the default logs request lines; ours carry no secret, but keep
            # the log to decisions only
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            if self.path == "/.well-known/openid-configuration":
                base = "http://%s:%d" % self.server.server_address[:2]
                self.reply(200, {"issuer": table["issuer"],
                                 "introspection_endpoint": base + "/introspect",
                                 "scopes_supported": ["mail"]})
            else:
                self.reply(404, {"error": "not_found"})

        def do_POST(self):  # noqa: N802
            n = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(n).decode("ascii", "replace"),
                                         keep_blank_values=True)
            if self.path != "/introspect":
                self.reply(404, {"error": "not_found"})
                return
            cid = form.get("client_id", [""])[0]
            secret = form.get("client_secret", [""])[0]
            if not (hmac.compare_digest(cid, table["client_id"]) and
                    hmac.compare_digest(secret, table["client_secret"])):
                log.write("introspect: client authentication failed -> 401\n")
                self.reply(401, {"error": "invalid_client"})
                return
            token = form.get("token", [""])[0]
            entry = table["tokens"].get(token)
            now = int(time.time())
            if entry is None:
                verdict, answer = "unknown", {"active": False}
            elif entry["exp"] <= now:
                verdict, answer = "expired", {"active": False}
            else:
                verdict = "active"
                answer = {"active": True, "username": entry["username"],
                          "scope": entry["scope"], "exp": entry["exp"],
                          "token_type": "Bearer", "client_id": table["client_id"],
                          "iss": table["issuer"]}
            name = entry["name"] if entry else "unknown"
            log.write("introspect %s (%d octets) -> %s\n" % (name, len(token), verdict))
            self.reply(200, answer)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
