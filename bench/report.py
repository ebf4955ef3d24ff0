"""Turns the measurements into the report: markdown tables, gnuplot charts
and, with --docs, the generated part of docs/PERFORMANCE.md.

  python3 bench/report.py [--out DIR] [--docs]

Reads OUT/runtime.tsv and OUT/runners.tsv (bench/measure.py) and, when
present, OUT/compile.tsv and OUT/compilers.tsv (bench/compile_speed.py).
Writes OUT/report.md, OUT/runtime.png and OUT/compile.png, and prints the
report. --docs also replaces the text between the bench:begin and bench:end
markers of docs/PERFORMANCE.md and copies the charts next to it.
"""
import argparse
import csv
import datetime
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections import OrderedDict

import runners
from files import atomic_write

DOCS = os.path.join(runners.BENCH, "..", "docs")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CHARTS = {"runtime": "perf-runtime.png", "compile": "perf-compile.png"}  # name in docs/


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_titles(path):
    """{name: (title, "ok" or why it was not used)}, in file order."""
    table = OrderedDict()
    with open(path) as f:
        for line in f:
            name, title, status = line.rstrip("\n").split("\t")
            table[name] = (title, status)
    return table


def group(rows, key, who):
    """{(key, who): [rows]} keeping first-seen order."""
    out = OrderedDict()
    for r in rows:
        out.setdefault((r[key], r[who]), []).append(r)
    return out


def summarize(runs, field="cpu_seconds"):
    """(median, min, max) of a cell's times, or the first failure's status.
    CPU time by default: the machine is shared, and other work disturbs the
    wall clock far more than the CPU time a run takes."""
    bad = [r["status"] for r in runs if r["status"] != "ok"]
    if bad:
        return bad[0]
    secs = [float(r[field]) for r in runs]
    return statistics.median(secs), min(secs), max(secs)


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


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


def table(header, rows, align):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def not_used(titles):
    return ["- %s: %s" % (t, why) for t, why in titles.values() if why != "ok"]


# ---- run time ----

def runtime_section(out, charts):
    rows = read_tsv(os.path.join(out, "runtime.tsv"))
    titles = read_titles(os.path.join(out, "runners.tsv"))
    groups = group(rows, "program", "runner")
    cells = {k: summarize(v) for k, v in groups.items()}
    walls = {k: summarize(v, "seconds") for k, v in groups.items()}
    programs = list(OrderedDict.fromkeys(r["program"] for r in rows))
    used = [n for n in titles if any(k[1] == n for k in cells)]
    reps = max(int(r["rep"]) for r in rows) if rows else 0
    sizes = sorted(set(r["size"] for r in rows))
    lines = ["## Run time", "",
             "Median CPU time (user + system, all threads) of %d runs in seconds (min-max), "
             "whole process: start-up, compilation and run; size argument: %s." % (reps, ", ".join(sizes)),
             ""]
    body = []
    for p in programs:
        body.append([p] + [fmt_time(cells.get((p, n))) for n in used])
    lines += table(["program"] + [titles[n][0] for n in used], body, "l" + "r" * len(used))
    others = [n for n in used if n != "native"]
    ratios, means = runtime_ratios(cells, programs, others)
    lines += ["", "Relative to native (median / native median; lower is better):", ""]
    body = [[p] + [fmt_ratio(ratios[n].get(p)) for n in others] for p in programs]
    body.append(["**geometric mean**"] + ["**%s**" % fmt_ratio(means[n]) for n in others])
    lines += table(["program"] + [titles[n][0] for n in others], body, "l" + "r" * len(others))
    wall_means = runtime_ratios(walls, programs, others)[1]
    lines += ["", "The same ratios by wall clock, geometric means: " +
              ", ".join("%s %s" % (titles[n][0], fmt_ratio(wall_means[n])) for n in others) + "."]
    lines += runtime_notes(rows, titles, ratios, programs, others)
    lines += ["", "![run time relative to native](%s)" % charts["runtime"]]
    write_runtime_dat(out, ratios, means, programs, others, titles)
    return lines, failures(rows)


def fmt_time(cell):
    if cell is None:
        return "-"
    if isinstance(cell, str):
        return "**FAIL: %s**" % cell
    return "%.3f (%.3f-%.3f)" % cell


def fmt_ratio(v):
    return "-" if v is None else "%.2f" % v


def runtime_ratios(cells, programs, others):
    """{runner: {program: ratio}} and {runner: geometric mean}, over the
    programs where both the runner and native succeeded."""
    ratios = {n: {} for n in others}
    for n in others:
        for p in programs:
            base, cell = cells.get((p, "native")), cells.get((p, n))
            if isinstance(base, tuple) and isinstance(cell, tuple):
                ratios[n][p] = cell[0] / base[0]
    return ratios, {n: geomean(list(ratios[n].values())) for n in others}


def runtime_notes(rows, titles, ratios, programs, others):
    lines = []
    partial = ["%s (%d of %d programs)" % (titles[n][0], len(ratios[n]), len(programs))
               for n in others if len(ratios[n]) < len(programs)]
    if partial:
        lines += ["", "Geometric means over the programs that ran: " + ", ".join(partial) + "."]
    bad = failures(rows)
    lines += ["", "Checksums: " + ("every runner printed the native output." if not bad else
                                   "**%d failed runs:**" % len(bad))]
    lines += ["- %s on %s, run %s: %s (%s)" % (r["program"], r["runner"], r["rep"], r["status"],
                                                 r["output"]) for r in bad[:20]]
    missing = not_used(titles)
    if missing:
        lines += ["", "Not measured:", ""] + missing
    return lines


def failures(rows):
    return [r for r in rows if r["status"] != "ok"]


def write_runtime_dat(out, ratios, means, programs, others, titles):
    with atomic_write(os.path.join(out, "runtime.dat")) as f:
        f.write("program " + " ".join('"%s"' % titles[n][0] for n in others) + "\n")
        for p in programs + ["geomean"]:
            vals = [means[n] if p == "geomean" else ratios[n].get(p) for n in others]
            f.write(p + " " + " ".join("-" if v is None else "%.4f" % v for v in vals) + "\n")


# ---- compile speed ----

def compile_section(out, charts):
    path = os.path.join(out, "compile.tsv")
    if not os.path.exists(path):
        return ["## Compile speed", "", "Not measured in this run."], []
    rows = read_tsv(path)
    if not rows:
        return ["## Compile speed", "", "No modules were measured (bench/fetch-modules.sh fetched none)."], []
    titles = read_titles(os.path.join(out, "compilers.tsv"))
    cells = {k: summarize(v) for k, v in group(rows, "module", "tool").items()}
    rss = {k: max(int(r["maxrss_kb"]) for r in v) for k, v in group(rows, "module", "tool").items()}
    modules = OrderedDict((r["module"], (int(r["bytes"]), int(r["code_bytes"]))) for r in rows)
    used = [n for n in titles if any(k[1] == n for k in cells)]
    reps = max(int(r["rep"]) for r in rows)
    lines = ["## Compile speed", "",
             "Large real modules from npm (bench/fetch-modules.sh). Throughput is the size "
             "of the code section (the function bodies: data segments cost no compile work) "
             "in MB (10^6 bytes) over the median CPU time of %d runs. Trident's times "
             "are whole processes; V8's are measured inside node around the one call "
             "(`WebAssembly.validate`, or `new WebAssembly.Module` with lazy compilation "
             "off and one thread). Peak RSS is the whole process (node alone takes ~45 MB)." % reps,
             ""]
    head = ["module", "size MB", "code MB"] + [titles[n][0] + " MB/s" for n in used]
    body = [[m, "%.1f" % (size / 1e6), "%.1f" % (code / 1e6)] +
            [fmt_speed(code, cells.get((m, n))) for n in used] for m, (size, code) in modules.items()]
    total = sum(s for s, _ in modules.values())
    body.append(["**all**", "%.1f" % (total / 1e6), "%.1f" % (sum(c for _, c in modules.values()) / 1e6)] +
                ["**%s**" % overall_speed(modules, cells, n) for n in used])
    lines += table(head, body, "lrr" + "r" * len(used))
    lines += ["", "Median CPU time in seconds / peak RSS in MB:", ""]
    body = [[m] + [fmt_cost(cells.get((m, n)), rss.get((m, n))) for n in used] for m in modules]
    lines += table(["module"] + [titles[n][0] for n in used], body, "l" + "r" * len(used))
    bad = failures(rows)
    if bad:
        lines += ["", "**%d failed runs:**" % len(bad)]
        lines += ["- %s, %s, run %s: %s" % (r["module"], r["tool"], r["rep"], r["status"]) for r in bad[:20]]
    missing = not_used(titles)
    if missing:
        lines += ["", "Not measured:", ""] + missing
    lines += ["", "![compile throughput](%s)" % charts["compile"]]
    write_compile_dat(out, modules, cells, used, titles)
    return lines, bad


def fmt_speed(nbytes, cell):
    if not isinstance(cell, tuple):
        return fmt_time(cell)
    return "%.1f" % (nbytes / 1e6 / cell[0]) if cell[0] > 0 else "-"


def overall_speed(modules, cells, tool):
    """All modules' code MB over the sum of their median times, if all succeeded."""
    times = [cells.get((m, tool)) for m in modules]
    if not all(isinstance(t, tuple) for t in times) or sum(t[0] for t in times) <= 0:
        return "-"
    return "%.1f" % (sum(c for _, c in modules.values()) / 1e6 / sum(t[0] for t in times))


def fmt_cost(cell, rss_kb):
    if not isinstance(cell, tuple):
        return fmt_time(cell)
    return "%.3f / %d" % (cell[0], round(rss_kb / 1024))


def write_compile_dat(out, modules, cells, used, titles):
    with atomic_write(os.path.join(out, "compile.dat")) as f:
        f.write("module " + " ".join('"%s"' % titles[n][0] for n in used) + "\n")
        for m, (_, code) in modules.items():
            vals = [cells.get((m, n)) for n in used]
            label = m[:-len(".wasm")].replace("--", "/")  # package/file, as fetched
            f.write('"%s" ' % label + " ".join("%.2f" % (code / 1e6 / v[0]) if isinstance(v, tuple) and v[0] > 0
                                               else "-" for v in vals) + "\n")


# ---- output ----

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


def build(out, header, charts):
    """The report's markdown, with charts[kind] as each chart's link, and
    the number of failed runs."""
    run_lines, run_bad = runtime_section(out, charts)
    comp_lines, comp_bad = compile_section(out, charts)
    return "\n".join([header, ""] + run_lines + [""] + comp_lines) + "\n", len(run_bad) + len(comp_bad)


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
    a = ap.parse_args()
    ended = os.path.getmtime(os.path.join(a.out, "runtime.tsv"))  # when the runs ended
    stamp = datetime.datetime.fromtimestamp(ended, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = "Measured %s on %s." % (stamp, machine(a.trident))
    text, bad = build(a.out, header, {k: k + ".png" for k in CHARTS})
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
        update_docs(a.out, build(a.out, header, CHARTS)[0])
        print("report: updated docs/PERFORMANCE.md", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
