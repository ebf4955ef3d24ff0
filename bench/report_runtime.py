"""The run-time part of the report: the programs' run times on every runner,
relative to native, and the ahead-of-time compile times of Trident's aot
runners (bench/measure.py's OUT/runtime.tsv, runners.tsv and aot.tsv)."""
import os
from collections import OrderedDict, namedtuple

import runners
from files import atomic_write
from report_common import (failures, fmt_ratio, fmt_time, geomean, group, not_used, read_titles,
                           read_tsv, summarize, table)

Runtime = namedtuple("Runtime", "cells programs titles")
# What the goals need: cells {(program, runner): (median, min, max) or a
# failed status}, the programs in order, titles {runner: (title, status)}.


def runtime_section(out, charts, trident):
    """(markdown lines, failed runs, Runtime)."""
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
             "whole process (start-up included); size argument: %s." % (reps, ", ".join(sizes)),
             ""] + compile_note(trident, used, titles) + [""]
    body = [[p] + [fmt_time(cells.get((p, n))) for n in used] for p in programs]
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
    lines += aot_section(out, titles)
    write_runtime_dat(out, ratios, means, programs, others, titles)
    return lines, failures(rows), Runtime(cells, programs, titles)


def compile_note(trident, used, titles):
    """Which rows compile inside every timed run and which were compiled ahead."""
    table_ = {r.name: r for r in runners.all_runners(trident)}
    inside = [titles[n][0] for n in used if table_[n].in_run]
    ahead = [titles[n][0] for n in used if not table_[n].in_run]
    lines = []
    if inside:
        lines.append("**Compilation included** in every timed run: %s (as a JIT: node compiles "
                     "inside its runs; Trident's jit rows run `trident run --no-cache`)."
                     % ", ".join(inside))
    if ahead:
        lines.append("**Compiled ahead**, compilation not in the run time: %s (native and wasm2c "
                     "by gcc -O2 at build time; Trident's aot rows run the .twasm that `trident "
                     "compile -o` made before the runs, timed in the table below)." % ", ".join(ahead))
    return [" ".join(lines)] if lines else []


def runtime_ratios(cells, programs, others, base_name="native"):
    """{runner: {program: ratio}} and {runner: geometric mean}, over the
    programs where both the runner and the base runner succeeded."""
    ratios = {n: {} for n in others}
    for n in others:
        for p in programs:
            base, cell = cells.get((p, base_name)), cells.get((p, n))
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


def aot_section(out, titles):
    """The one timed `trident compile -o` per program and aot runner."""
    path = os.path.join(out, "aot.tsv")
    rows = read_tsv(path) if os.path.exists(path) else []
    if not rows:
        return []
    cells = {(r["program"], r["runner"]): r for r in rows}
    programs = list(OrderedDict.fromkeys(r["program"] for r in rows))
    used = list(OrderedDict.fromkeys(r["runner"] for r in rows))
    lines = ["", "### Ahead-of-time compile", "",
             "`trident compile --backend=B prog.wasm -o prog.twasm` before the runs, timed once "
             "per program: CPU milliseconds (all threads; llvm compiles on several). These are "
             "the benchmark programs (50-200 KB of wasm each), not the large modules of the "
             "compile-speed part.", ""]
    body = [[p] + [fmt_ms(cells.get((p, n))) for n in used] for p in programs]
    body.append(["**all, CPU s**"] + ["**%s**" % total(rows, n, "cpu_seconds") for n in used])
    body.append(["all, wall s"] + [total(rows, n, "seconds") for n in used])
    lines += table(["program"] + [titles.get(n, (n,))[0] for n in used], body, "l" + "r" * len(used))
    return lines


def fmt_ms(row):
    if row is None:
        return "-"
    if row["status"] != "ok":
        return "**FAIL: %s**" % row["status"]
    return "%.0f" % (float(row["cpu_seconds"]) * 1e3)


def total(rows, runner, field):
    mine = [r for r in rows if r["runner"] == runner]
    if any(r["status"] != "ok" for r in mine):
        return "-"
    return "%.2f" % sum(float(r[field]) for r in mine)


def write_runtime_dat(out, ratios, means, programs, others, titles):
    with atomic_write(os.path.join(out, "runtime.dat")) as f:
        f.write("program " + " ".join('"%s"' % titles[n][0] for n in others) + "\n")
        for p in programs + ["geomean"]:
            vals = [means[n] if p == "geomean" else ratios[n].get(p) for n in others]
            f.write(p + " " + " ".join("-" if v is None else "%.4f" % v for v in vals) + "\n")
