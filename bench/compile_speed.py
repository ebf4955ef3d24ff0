"""Compile speed on large real modules (bench/out/modules/*.wasm, fetched by
bench/fetch-modules.sh): Trident's validation alone and each Trident backend
that has `trident compile`, beside V8's validation, Liftoff and TurboFan.

  python3 bench/compile_speed.py [--modules DIR] [--out DIR] [--reps N]
                                 [--llvm-reps N] [--llvm-cap S]
                                 [--trident PATH] [--timeout S] [--tools A,B]

Writes OUT/compile.tsv (one row per run, the median is the report's) and
OUT/compilers.tsv (each tool's title, and why it was not used if it was not).
Every tool times its own work inside its process, from the bytes in memory
to the compiled module (Trident: `-v`, decoding included; V8: around the
one call), so the two compare like with like; the whole process's times
(start-up and file read included) are kept beside them. Times are CPU time
(user + system, all threads) and wall clock.
Peak RSS is the whole process in both cases (node's own is ~45 MB).

The llvm backend takes minutes of CPU per large module (on both cores), so
it runs --llvm-reps times (LLVM_COMPILE_REPS, default 1) and is stopped at
--llvm-cap seconds of CPU time (LLVM_COMPILE_CAP, default 900): a module
over the cap gets the status "over cap N s" (the report shows "> N s") and is
not tried again in later runs.
"""
import argparse
import glob
import os
import re
import sys
from collections import namedtuple

import proc
import runners
from files import atomic_write

Tool = namedtuple("Tool", "name title argv own_times capped")
# argv(file): the command line; own_times(result): the (wall, CPU) seconds
# the command printed for its own work; capped: the llvm limits
# (--llvm-reps, --llvm-cap) apply.

V8_SCRIPT = os.path.join(runners.BENCH, "v8-compile.mjs")
EAGER = ["--no-wasm-lazy-compilation", "--single-threaded"]


def _v8(flags, mode):
    return lambda f: runners.NODE + flags + [V8_SCRIPT, mode, f]


def _v8_times(r):
    """v8-compile.mjs prints "WALL CPU" in seconds."""
    wall, cpu = (float(x) for x in r.stdout.split())
    return wall, cpu


# `trident validate -v` / `trident compile -v` end their line with this.
TRIDENT_TIMES = re.compile(r" in ([0-9.]+) ms wall, ([0-9.]+) ms CPU$", re.M)


def _trident_times(r):
    m = TRIDENT_TIMES.search(r.stderr)
    if not m:
        raise ValueError("no times in its -v line")
    return float(m.group(1)) / 1e3, float(m.group(2)) / 1e3


def tools(trident):
    """Every tool the harness knows, in report order. Trident compiles
    without writing anything (no -o): the figure is the compile alone."""
    table = [Tool("trident-validate", "Trident validate", lambda f: [trident, "validate", "-v", f],
                  _trident_times, False)]
    table += [Tool("trident-" + b, "Trident " + b,
                   lambda f, b=b: [trident, "compile", "-v", "--backend=" + b, f], _trident_times,
                   b == "llvm")
              for b in runners.BACKENDS]
    table += [
        Tool("v8-validate", "V8 validate", _v8([], "validate"), _v8_times, False),
        Tool("v8-liftoff", "V8 Liftoff", _v8(runners.LIFTOFF + EAGER, "compile"), _v8_times, False),
        Tool("v8-turbofan", "V8 TurboFan", _v8(runners.TURBOFAN + EAGER, "compile"), _v8_times,
             False),
    ]
    return table


def code_bytes(path):
    """The size of the code section (the function bodies), or 0."""
    with open(path, "rb") as f:
        data = f.read()
    at = 8
    while at < len(data):
        sid, at = data[at], at + 1
        size = shift = 0
        while at < len(data):
            b, at = data[at], at + 1
            size |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        if sid == 10:
            return size
        at += size
    return 0


def availability(a):
    """{tool name: why not} for the tools that cannot be used yet."""
    lacking = runners.trident_lacks(a.trident, "validate")
    missing = {"trident-validate": lacking} if lacking else {}
    status = runners.backend_status(a.trident, ["compile"], [runners.probe_path(a.out)])
    missing.update({"trident-" + b: why for b, why in status.items() if why})
    return missing


Timed = namedtuple("Timed", "seconds cpu_seconds process")
# The tool's own (wall, CPU) seconds, and the whole process's proc.Result.


def time_one(a, tool, module):
    """One timed run of tool on module; its status is "over cap N s" when
    the CPU cap stopped it (the own times are then the process's)."""
    cap = a.llvm_cap if tool.capped else None
    r = proc.run_timed(tool.argv(module), max(a.timeout, 3 * cap) if cap else a.timeout, cap)
    if cap and proc.over_cpu_cap(r.status):
        r = r._replace(status="over cap %d s" % cap)
    if r.status == "ok":
        try:
            return Timed(*tool.own_times(r), r)
        except ValueError:
            r = r._replace(status="bad output: " + (r.stdout + r.stderr)[:60].replace("\n", " "))
    return Timed(r.seconds, r.cpu_seconds, r)


def measure(a, usable, modules, f):
    """Every rep of every module on every tool, one row each into f; returns
    the number of failed runs (a run over the cap is a figure, not a failure)."""
    failures = 0
    over = set()  # (module, tool) that went over the cap: not tried again
    # One unrecorded run of each tool but llvm first: the first run on a
    # module also pays for reading it from disk and for cold caches (it was
    # 10-40% slower than the next), which no later run does.
    for m in modules:
        for t in usable:
            if not t.capped:
                time_one(a, t, m)
    for rep in range(1, a.reps + 1):
        for m in modules:
            for t in usable:
                if (m, t.name) in over or (t.capped and rep > a.llvm_reps):
                    continue
                r = time_one(a, t, m)
                p = r.process
                capped = p.status.startswith("over cap")
                if capped:
                    over.add((m, t.name))
                failures += p.status != "ok" and not capped
                f.write("%s\t%d\t%d\t%s\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%s\n"
                        % (os.path.basename(m), os.path.getsize(m), code_bytes(m), t.name, rep,
                           r.seconds, r.cpu_seconds, p.seconds, p.cpu_seconds, p.maxrss_kb,
                           p.status))
                f.flush()
                print("rep %d/%d  %-40s %-18s %7.3f s wall %7.3f s cpu (process %.3f)  %s"
                      % (rep, a.reps, os.path.basename(m)[:40], t.name, r.seconds,
                         r.cpu_seconds, p.cpu_seconds, p.status), file=sys.stderr)
    return failures


def main():
    ap = argparse.ArgumentParser(description="compile speed on large modules")
    ap.add_argument("--modules", default=os.path.join(runners.BENCH, "out", "modules"))
    ap.add_argument("--out", default=os.path.join(runners.BENCH, "out"))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("REPS", "3")))
    ap.add_argument("--llvm-reps", type=int, default=int(os.environ.get("LLVM_COMPILE_REPS", "1")))
    ap.add_argument("--llvm-cap", type=int, default=int(os.environ.get("LLVM_COMPILE_CAP", "900")),
                    help="CPU seconds after which an llvm compile is stopped")
    ap.add_argument("--trident", default=os.path.join(runners.BENCH, "..", "build", "trident"))
    ap.add_argument("--timeout", type=float, default=600.0, help="wall seconds per run")
    ap.add_argument("--tools", help="comma-separated tool names (default: all)")
    a = ap.parse_args()
    if a.reps < 1 or a.llvm_reps < 1 or a.llvm_cap < 1:
        ap.error("--reps, --llvm-reps and --llvm-cap must be at least 1")
    modules = sorted(glob.glob(os.path.join(a.modules, "*.wasm")))
    if not modules:
        print("compile_speed: no modules in %s (run bench/fetch-modules.sh)" % a.modules,
              file=sys.stderr)
    missing = availability(a)
    if a.tools:
        wanted = a.tools.split(",")
        missing.update({t.name: "left out of this run (--tools)" for t in tools(a.trident)
                        if t.name not in wanted})
    usable = [t for t in tools(a.trident) if t.name not in missing]
    with atomic_write(os.path.join(a.out, "compilers.tsv")) as f:
        for t in tools(a.trident):
            f.write("%s\t%s\t%s\n" % (t.name, t.title, missing.get(t.name, "ok")))
    for name, why in missing.items():
        print("%s: %s" % (name, why), file=sys.stderr)
    with atomic_write(os.path.join(a.out, "compile.tsv")) as f:
        f.write("module\tbytes\tcode_bytes\ttool\trep\tseconds\tcpu_seconds\tprocess_seconds"
                "\tprocess_cpu_seconds\tmaxrss_kb\tstatus\n")
        failures = measure(a, usable, modules, f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
