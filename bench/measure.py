"""Runs the benchmark programs on the runners, several times each.

  python3 bench/measure.py [--out DIR] [--reps N] [--scale N] [--runners A,B]
                           [--trident PATH] [--timeout S] [--check] [PROGRAM...]

By default every program runs at its own default size on every usable runner,
REPS times (--reps, default 3), interleaved (rep 1 of everything, then rep 2)
so that drift in the machine spreads evenly. Each run's stdout must equal
the native run's; anything else is a failure and the exit status is 1.
Writes OUT/runtime.tsv (one row per run) and OUT/runners.tsv (each runner's
title, and why it was not used if it was not). Before the runs, the runners
that run code compiled ahead (Trident's aot runners) compile every program
once, timed: OUT/aot.tsv.

--check runs each program once at --scale and prints PASS/FAIL lines, for
tests/cli/bench_programs.sh.
"""
import argparse
import glob
import os
import sys

import proc
import runners
from files import atomic_write


def parse_args():
    ap = argparse.ArgumentParser(description="run the benchmark programs")
    ap.add_argument("--out", default=os.path.join(runners.BENCH, "out"))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("REPS", "3")))
    ap.add_argument("--scale", type=int, help="size argument (default: each program's own)")
    ap.add_argument("--runners", help="comma-separated runner names (default: all but native-asan)")
    ap.add_argument("--trident", default=os.path.join(runners.BENCH, "..", "build", "trident"))
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    ap.add_argument("--check", action="store_true", help="one run each, PASS/FAIL lines")
    ap.add_argument("programs", nargs="*")
    a = ap.parse_args()
    if a.reps < 1:
        ap.error("--reps must be at least 1")
    if not a.programs:
        a.programs = sorted(os.path.basename(f)[:-2]
                            for f in glob.glob(os.path.join(runners.BENCH, "programs", "*.c")))
    return a


def checksum_line(stdout):
    """The last line (the checksum), at most 200 characters of it."""
    lines = stdout.strip().splitlines()
    return lines[-1][:200] if lines else "(no output)"


def compile_ahead(a, usable, programs, log=None):
    """Compiles programs for the runners that run code compiled ahead, once
    each, timed; log: a file for one row per compile (OUT/aot.tsv), which
    also turns on the progress lines. Records in a.ahead_failed
    {(runner name, program): why} the compiles that failed (their runs fail
    with that status)."""
    for r in (r for r in usable if r.ahead):
        for prog in programs:
            target = r.needs(a.out, prog)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.exists(target):
                os.remove(target)  # a failed compile must not leave an old one to run
            res = proc.run_timed(r.ahead(a.out, prog), a.timeout)
            if res.status != "ok":
                a.ahead_failed[(r.name, prog)] = \
                    "compile failed: %s (%s)" % (res.status, checksum_line(res.stderr))
            if log:
                size = os.path.getsize(target) if os.path.exists(target) else 0
                log.write("%s\t%s\t%.4f\t%.4f\t%d\t%s\t%d\n" % (prog, r.name, res.seconds, res.cpu_seconds,
                                                               res.maxrss_kb, res.status, size))
                log.flush()
                print("ahead     %-11s %-22s %7.3f s wall %7.3f s cpu  %s"
                      % (prog, r.name, res.seconds, res.cpu_seconds, res.status), file=sys.stderr)


def run_one(runner, a, prog):
    """Runs prog once on runner; a missing file is a status, not a crash."""
    why = a.ahead_failed.get((runner.name, prog))
    if why:
        return proc.Result(0.0, 0.0, 0, why, "", "")
    if not os.path.exists(runner.needs(a.out, prog)):
        return proc.Result(0.0, 0.0, 0, "not built (%s)" % runner.needs(a.out, prog), "", "")
    args = [str(a.scale)] if a.scale else []
    return proc.run_timed(runner.argv(a.out, prog, args), a.timeout)


def judge(result, reference):
    """The run's final status: a clean exit with other output is a mismatch."""
    if result.status == "ok" and reference is not None and result.stdout != reference:
        return "mismatch"
    return result.status


def check(a, usable):
    """One run per program and runner; PASS when every runner printed what
    the native build printed."""
    failed = 0
    for prog in a.programs:
        # Just before the runs: in a shared checkout, build/trident may be
        # rebuilt meanwhile, and a .twasm runs only on the build that made it.
        compile_ahead(a, usable, [prog])
        ref = run_one(usable[0], a, prog)
        problems = [] if ref.status == "ok" else ["%s: %s" % (usable[0].name, ref.status)]
        for r in usable[1:]:
            res = run_one(r, a, prog)
            status = judge(res, ref.stdout)
            if status != "ok":
                problems.append("%s: %s (%s)" % (r.name, status, checksum_line(res.stdout + res.stderr)))
        if problems:
            failed += 1
            print("FAIL bench_programs/%s: %s; native printed %s"
                  % (prog, "; ".join(problems), checksum_line(ref.stdout)))
        else:
            print("PASS bench_programs/%s (%s: %s)"
                  % (prog, ", ".join(r.name for r in usable), checksum_line(ref.stdout)))
    return 1 if failed else 0


def measure(a, usable, missing):
    with atomic_write(os.path.join(a.out, "runners.tsv")) as f:
        for r in runners.all_runners(a.trident):
            if r.name in missing or any(u.name == r.name for u in usable):
                f.write("%s\t%s\t%s\n" % (r.name, r.title, missing.get(r.name, "ok")))
    with atomic_write(os.path.join(a.out, "aot.tsv")) as f:
        f.write("program\trunner\tseconds\tcpu_seconds\tmaxrss_kb\tstatus\tbytes\n")
        compile_ahead(a, usable, a.programs, f)
    failures = 0
    with atomic_write(os.path.join(a.out, "runtime.tsv")) as f:
        f.write("program\trunner\tsize\trep\tseconds\tcpu_seconds\tmaxrss_kb\tstatus\toutput\n")
        for rep in range(1, a.reps + 1):
            for prog in a.programs:
                reference = None
                for r in usable:
                    res = run_one(r, a, prog)
                    status = judge(res, reference)
                    if r.name == "native" and status == "ok":
                        reference = res.stdout
                    failures += status != "ok"
                    line = checksum_line(res.stdout if res.stdout.strip() else res.stderr)
                    f.write("%s\t%s\t%s\t%d\t%.4f\t%.4f\t%d\t%s\t%s\n"
                            % (prog, r.name, a.scale or "default", rep, res.seconds,
                               res.cpu_seconds, res.maxrss_kb, status, line))
                    f.flush()
                    print("rep %d/%d  %-11s %-22s %7.3f s wall %7.3f s cpu  %s"
                          % (rep, a.reps, prog, r.name, res.seconds, res.cpu_seconds, status),
                          file=sys.stderr)
    return 1 if failures else 0


def main():
    a = parse_args()
    names = a.runners.split(",") if a.runners else None
    if names is not None and "native" not in names:
        names.insert(0, "native")  # the reference every other output is compared to
    usable, missing = runners.select(names, a.out, a.trident)
    for name, why in missing.items():
        print("%s: %s" % (name, why), file=sys.stderr)
    os.makedirs(a.out, exist_ok=True)
    a.ahead_failed = {}
    return check(a, usable) if a.check else measure(a, usable, missing)


if __name__ == "__main__":
    sys.exit(main())
