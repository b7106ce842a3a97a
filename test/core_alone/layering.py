#!/usr/bin/env python3
"""ctest "core_layering": no circular calls between core files (issue 7).

Compiles each core/src/*.c on its own (host cc, every feature on), reads with nm
which symbols each object defines and which it needs, and builds the file-level
call graph: file A -> file B when A needs a symbol B defines. Fails if that graph
has a cycle, or if a pure decoder (pop3_reply.c, pop3_body.c, pop3_util.c) needs
anything from another core file. Prints the graph either way.
Exit 0 ok, 1 failure, 77 (skipped) without cc or nm.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LEAVES = {"pop3_reply", "pop3_body", "pop3_util"}

if not shutil.which("cc") or not shutil.which("nm"):
    print("core_layering: no cc or nm: skipped")
    sys.exit(77)

defs, needs = {}, {}
with tempfile.TemporaryDirectory() as tmp:
    for src in sorted(glob.glob(os.path.join(top, "core", "src", "*.c"))):
        name = os.path.basename(src)[:-2]
        obj = os.path.join(tmp, name + ".o")
        cmd = ["cc", "-std=c99", "-I" + top + "/config", "-I" + top + "/core/include", "-c", src, "-o", obj]
        # Every feature on (APOP and SASL need mbedTLS headers); without them, both off.
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            subprocess.run(cmd + ["-DPOP3_APOP_ENABLE=0", "-DPOP3_SASL_ENABLE=0"], check=True)
        out = subprocess.run(["nm", obj], check=True, capture_output=True, text=True).stdout
        defs[name] = {l.split()[-1] for l in out.splitlines() if len(l.split()) == 3 and l.split()[1] in "TDRB"}
        needs[name] = {l.split()[-1] for l in out.splitlines() if len(l.split()) == 2 and l.split()[0] == "U"}

owner = {sym: f for f, syms in defs.items() for sym in syms}
graph = {f: sorted({owner[s] for s in needs[f] if s in owner and owner[s] != f}) for f in defs}
for f in sorted(graph):
    print("%-14s -> %s" % (f, ", ".join(graph[f]) or "(C library only)"))

bad = []
for f in LEAVES & set(graph):
    if graph[f]:
        bad.append("%s is a pure decoder/helper but calls %s" % (f, ", ".join(graph[f])))

state = {}
def visit(f, path):
    state[f] = 1
    for g in graph[f]:
        if state.get(g) == 1:
            bad.append("cycle: " + " -> ".join(path[path.index(g):] + [g]) if g in path else "cycle via " + g)
        elif g not in state:
            visit(g, path + [g])
    state[f] = 2
for f in sorted(graph):
    if f not in state:
        visit(f, [f])

if bad:
    for b in bad:
        print("core_layering: FAIL: " + b)
    sys.exit(1)
print("core_layering: %d files, no cycle" % len(graph))
