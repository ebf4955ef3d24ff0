"""Turns the measurements into the report: markdown tables, gnuplot charts
and, with --docs, the generated part of docs/PERFORMANCE.md.

  python3 bench/report.py [--out DIR] [--docs]

Reads OUT/runtime.tsv, runners.tsv and aot.tsv (bench/measure.py) and, when
present, OUT/compile.tsv and OUT/compilers.tsv (bench/compile_speed.py);
the sections are report_goals.py (the summary first), report_runtime.py
and report_compile.py.
Writes OUT/report.md, OUT/runtime.png and OUT/compile.png, and prints the
report. --docs also replaces the text between the bench:begin and bench:end
markers of docs/PERFORMANCE.md and copies the charts next to it.
"""
import argparse
import csv
import datetime
import os
import platform
import shutil
import subprocess
import sys

import runners
from files import atomic_write
from report_compile import compile_section
from report_goals import goals_section
from report_runtime import runtime_section

DOCS = os.path.join(runners.BENCH, "..", "docs")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CHARTS = {"runtime": "perf-runtime.png", "compile": "perf-compile.png"}  # name in docs/


def version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True).stdout
        return out.strip().splitlines()[0] if out.strip() else "?"
    except OSError:
        return "not installed"


def machine(trident):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as f:
        load = f.read().split()[2]  # the last 15 minutes: other work slows every runner
    commit = version(["git", "-C", runners.BENCH, "rev-parse", "--short", "HEAD"])
    return ("%s, %d cores, Linux %s, load average %s; Trident binary %s, repository at %s; "
            "%s; %s; node %s; wabt %s"
            % (cpu, os.cpu_count(), platform.release(), load, trident, commit,
               version(["gcc", "--version"]),
               version(["clang-19", "--version"]), version(["node", "--version"]),
               version(["wasm2c", "--version"])))


def draw(out, kind, title, ylabel, logscale):
    """Runs gnuplot on OUT/KIND.dat; returns a note if it could not."""
    dat = os.path.join(out, kind + ".dat")
    with open(dat) as f:
        cols = len(next(csv.reader(f, delimiter=" ")))
    if cols < 2:
        return None
    args = ["gnuplot", "-e", "datafile='%s'; outfile='%s'; cols=%d; title='%s'; ylabel='%s'; logscale=%d"
            % (dat, os.path.join(out, kind + ".png"), cols, title, ylabel, logscale),
            os.path.join(runners.BENCH, "charts.gp")]
    try:
        r = subprocess.run(args, capture_output=True, text=True)
    except OSError:
        return "gnuplot is not installed (make setup)"
    return None if r.returncode == 0 else "gnuplot failed: " + r.stderr.strip()[:200]


def build(out, header, charts, trident):
    """The report's markdown, with charts[kind] as each chart's link, and
    the number of failed runs."""
    run_lines, run_bad, run = runtime_section(out, charts, trident)
    comp_lines, comp_bad, comp = compile_section(out, charts)
    text = [header, ""] + goals_section(run, comp) + [""] + run_lines + [""] + comp_lines
    return "\n".join(text) + "\n", len(run_bad) + len(comp_bad)


def update_docs(out, text):
    path = os.path.join(DOCS, "PERFORMANCE.md")
    with open(path) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        raise SystemExit("%s lacks the %s / %s markers" % (path, BEGIN, END))
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with atomic_write(path) as f:
        f.write(head + BEGIN + "\n" + text + END + tail)
    for kind, name in CHARTS.items():
        png = os.path.join(out, kind + ".png")
        if os.path.exists(png):
            shutil.copyfile(png, os.path.join(DOCS, name))


def main():
    ap = argparse.ArgumentParser(description="benchmark report")
    ap.add_argument("--out", default=os.path.join(runners.BENCH, "out"))
    ap.add_argument("--docs", action="store_true", help="update docs/PERFORMANCE.md")
    ap.add_argument("--trident", default="build/trident", help="the binary measured (for the header)")
    ap.add_argument("--overlap", action="store_true",
                    help="the programs and the large modules were measured at the same time")
    a = ap.parse_args()
    runtime = os.path.join(a.out, "runtime.tsv")
    if not os.path.exists(runtime):
        print("report: %s is missing: run the programs first (make bench, or bench/measure.py)"
              % runtime, file=sys.stderr)
        return 2
    ended = os.path.getmtime(runtime)  # when the runs ended
    stamp = datetime.datetime.fromtimestamp(ended, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = "Measured %s on %s." % (stamp, machine(a.trident))
    if a.overlap:
        header += (" The programs and the large modules were measured at the same time "
                   "(OVERLAP=1), each part one more process on the shared machine: CPU times "
                   "hardly change, wall-clock times do.")
    text, bad = build(a.out, header, {k: k + ".png" for k in CHARTS}, a.trident)
    notes = [draw(a.out, "runtime", "Run time relative to native gcc -O2 (lower is better)",
                  "time / native time", 0)]
    if os.path.exists(os.path.join(a.out, "compile.dat")):
        notes.append(draw(a.out, "compile", "Compile throughput, code section (higher is better)",
                          "MB/s (log scale)", 1))
    with atomic_write(os.path.join(a.out, "report.md")) as f:
        f.write(text)
    print(text)
    for n in filter(None, notes):
        print("report: " + n, file=sys.stderr)
    if a.docs:
        update_docs(a.out, build(a.out, header, CHARTS, a.trident)[0])
        print("report: updated docs/PERFORMANCE.md", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
