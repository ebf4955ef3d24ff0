"""The runners the benchmarks compare, and how each one is started.

A runner turns a program name and its arguments into a command line over the
files bench/build.sh made in OUT. Each Trident backend is two runners: "jit"
compiles inside every timed run (`trident run --no-cache`, as node compiles
inside its runs) and "aot" runs the .twasm that `trident compile -o` made
before the timed runs (bench/measure.py times that compile once), as native
and wasm2c are compiled ahead by bench/build.sh. A backend counts only once
it can run a WASI program: backend_status() runs the probe (bench/probe.c)
and otherwise says why the backend is not available.
"""
import os
import re
import subprocess
import tempfile
from collections import namedtuple

BENCH = os.path.dirname(os.path.abspath(__file__))
BACKENDS = ["singlepass", "optimizing", "llvm"]

# node 20's WASI can crash once memory passes ~32 MiB when V8 takes its fast
# API call path into the host functions, so every node run turns it off.
NODE = ["node", "--no-warnings", "--no-turbo-fast-api-calls"]
LIFTOFF = ["--liftoff", "--no-wasm-tier-up", "--no-wasm-dynamic-tiering"]
TURBOFAN = ["--no-liftoff"]
# Every run compiles afresh, as node does: `trident run` would otherwise
# reuse the code it cached on the first run.
TRIDENT_RUN = ["run", "--no-cache"]

Runner = namedtuple("Runner", "name title needs argv in_run ahead")
# needs:  the file the runner starts, given OUT and a program name.
# argv:   the command line, given OUT, the program name and its arguments.
# in_run: True when every timed run includes compiling the program.
# ahead:  None, or the command line (given OUT and the program name) that
#         makes needs before the timed runs; bench/measure.py times it.


def _file(form, suffix=""):
    return lambda out, prog: os.path.join(out, form, prog + suffix)


def _node(flags):
    script = os.path.join(BENCH, "node-wasi.mjs")
    return lambda out, prog, args: NODE + flags + [script, _file("wasm", ".wasm")(out, prog)] + args


def _trident(path, backend):
    return lambda out, prog, args: [path] + TRIDENT_RUN + ["--backend=" + backend,
                                                          _file("wasm", ".wasm")(out, prog)] + args


def _twasm(backend):
    return _file(os.path.join("aot", backend), ".twasm")


def _trident_aot(path, backend):
    return lambda out, prog, args: [path, "run", _twasm(backend)(out, prog)] + args


def _trident_compile(path, backend):
    return lambda out, prog: [path, "compile", "--backend=" + backend,
                              _file("wasm", ".wasm")(out, prog), "-o", _twasm(backend)(out, prog)]


def _trident_runners(path, backend):
    """The backend compiling inside each run, then the backend run ahead of time."""
    return [Runner("trident-%s-jit" % backend, "Trident %s (jit)" % backend,
                   _file("wasm", ".wasm"), _trident(path, backend), True, None),
            Runner("trident-%s-aot" % backend, "Trident %s (aot)" % backend,
                   _twasm(backend), _trident_aot(path, backend), False, _trident_compile(path, backend))]


def _binary(form):
    return lambda out, prog, args: [_file(form)(out, prog)] + args


def all_runners(trident):
    """Every runner the harness knows, in report order."""
    table = [
        Runner("native", "native (gcc -O2)", _file("native"), _binary("native"), False, None),
        Runner("wasm2c", "wasm2c + gcc -O2", _file("wasm2c"), _binary("wasm2c"), False, None),
        Runner("v8-turbofan", "V8 TurboFan", _file("wasm", ".wasm"), _node(TURBOFAN), True, None),
        Runner("v8-liftoff", "V8 Liftoff", _file("wasm", ".wasm"), _node(LIFTOFF), True, None),
    ]
    for b in BACKENDS:
        table += _trident_runners(trident, b)
    # Only for tests/cli/bench_programs.sh: the native form under ASan+UBSan.
    table.append(Runner("native-asan", "native (ASan+UBSan)", _file("asan"), _binary("asan"), False, None))
    return table


def trident_lacks(trident, command):
    """Why `trident COMMAND` cannot be used yet, or None when it exists."""
    if not os.access(trident, os.X_OK):
        return trident + " is not built"
    usage = subprocess.run([trident, "--help"], capture_output=True, text=True).stdout
    if not re.search(r"^\s+%s\b" % command, usage, re.M):
        return "not available yet (`trident %s` does not exist)" % command
    return None


def backend_status(trident, command, args, expect=None):
    """{backend: None when `trident COMMAND --backend=B ARGS...` exits 0 (and
    prints expect, if given), else why the backend is not available yet}.
    command: a list, the command and its options."""
    lacking = trident_lacks(trident, command[0])
    if lacking:
        return {b: lacking for b in BACKENDS}
    status = {}
    for b in BACKENDS:
        try:
            r = subprocess.run([trident] + command + ["--backend=" + b] + args,
                               capture_output=True, text=True, timeout=60)
            ok = r.returncode == 0 and (expect is None or r.stdout == expect)
            why = (r.stderr.strip().splitlines() or ["no message"])[-1]  # the error comes last
            status[b] = None if ok else \
                "not available yet (probe: exit %d: %s)" % (r.returncode, why[:120])
        except subprocess.TimeoutExpired:
            status[b] = "not available yet (probe timed out)"
    return status


def probe_path(out):
    return os.path.join(out, "wasm", "probe.wasm")


def trident_status(trident, out):
    """{Trident runner name: why it cannot be used} for the runners whose
    probe fails: jit runs the probe; aot also needs `trident compile -o`."""
    jit = backend_status(trident, TRIDENT_RUN, [probe_path(out), "42"], "probe 42\n")
    with tempfile.TemporaryDirectory() as tmp:
        aot = backend_status(trident, ["compile"], [probe_path(out), "-o", os.path.join(tmp, "p.twasm")])
    status = {}
    for b in BACKENDS:
        status["trident-%s-jit" % b] = jit[b]
        status["trident-%s-aot" % b] = jit[b] or aot[b]
    return status


# Runners a default run leaves out, and why (None: not worth a line).
LEFT_OUT = {
    "native-asan": None,  # only for tests/cli/bench_programs.sh
    "trident-singlepass-aot": "left out by default (RUNNERS=... adds it): singlepass compiles a "
                              "benchmark program in about 3 ms, so its aot row repeated its jit row "
                              "and took a tenth of the run",
}


def select(names, out, trident):
    """The runners to use, as (usable runners, {name: why not} for the rest).
    names: runner names, or None for the default set (all but LEFT_OUT)."""
    table = all_runners(trident)
    known = [r.name for r in table]
    left_out = {}
    if names is None:
        names = [n for n in known if n not in LEFT_OUT]
        left_out = {n: why for n, why in LEFT_OUT.items() if why}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit("unknown runner(s): %s (known: %s)" % (", ".join(unknown), ", ".join(known)))
    tri = trident_status(trident, out) if any(n.startswith("trident-") for n in names) else {}
    usable, missing = [], left_out
    for r in table:
        if r.name not in names:
            continue
        why = tri.get(r.name)
        if why:
            missing[r.name] = why
        else:
            usable.append(r)
    return usable, missing
