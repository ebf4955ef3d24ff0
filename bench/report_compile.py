"""The compile-speed part of the report: the large real modules on every
tool (bench/compile_speed.py's OUT/compile.tsv and compilers.tsv), as MB/s,
as times, and as the ratios the backends' goals are stated in.

A run the CPU cap stopped (llvm: "over cap N s") is a bound, not a failure:
its time shows as "> N s" and what is computed from it as a bound too."""
import os
from collections import OrderedDict, namedtuple

from files import atomic_write
from report_common import failures, fmt_time, group, not_used, read_titles, read_tsv, summarize, table

Compile = namedtuple("Compile", "code_bytes totals")
# What the goals need: all modules' code bytes, and per tool the sum of
# its median times over them as a Figure (None when any failed).

Figure = namedtuple("Figure", "value bound")
# bound: "" for a measured time, ">" when the cap stopped a run (value is
# then a lower bound); derived figures carry "<" or ">" the same way.


def cell_time(cell):
    """A cell's median as a Figure, or None when it failed or is missing."""
    if isinstance(cell, tuple):
        return Figure(cell[0], "")
    if isinstance(cell, str) and cell.startswith("over cap "):
        return Figure(float(cell.split()[2]), ">")
    return None


def ratio(a, b):
    """a / b as a Figure: a lower bound over a measured time is a
    lower bound, a measured time over a lower bound an upper bound."""
    if a is None or b is None or (a.bound and b.bound) or b.value <= 0:
        return None
    return Figure(a.value / b.value, a.bound or {">": "<"}.get(b.bound, ""))


def per_mb(nbytes, t):
    """Throughput in MB/s for nbytes compiled in t (a bound flips)."""
    if t is None or t.value <= 0:
        return None
    return Figure(nbytes / 1e6 / t.value, {">": "<"}.get(t.bound, ""))


def fmt_bound(t, digits=1):
    return "-" if t is None else "%s%.*f" % (t.bound, digits, t.value)


def total(cells, modules, tool):
    """The sum of tool's median times over every module, or None."""
    times = [cell_time(cells.get((m, tool))) for m in modules]
    if not modules or any(t is None for t in times):
        return None
    return Figure(sum(t.value for t in times), ">" if any(t.bound for t in times) else "")


def compile_section(out, charts):
    """(markdown lines, failed runs, Compile or None)."""
    path = os.path.join(out, "compile.tsv")
    if not os.path.exists(path):
        return ["## Compile speed", "", "Not measured in this run."], [], None
    rows = read_tsv(path)
    if not rows:
        return (["## Compile speed", "", "No modules were measured (bench/fetch-modules.sh fetched none)."],
                [], None)
    titles = read_titles(os.path.join(out, "compilers.tsv"))
    groups = group(rows, "module", "tool")
    cells = {k: summarize(v) for k, v in groups.items()}
    walls = {k: summarize(v, "seconds") for k, v in groups.items()}
    # Results from before the whole process was recorded beside have none.
    procs = {k: summarize(v, "process_cpu_seconds") for k, v in groups.items()
             if "process_cpu_seconds" in v[0]}
    rss = {k: max(int(r["maxrss_kb"]) for r in v) for k, v in groups.items()}
    modules = OrderedDict((r["module"], (int(r["bytes"]), int(r["code_bytes"]))) for r in rows)
    used = [n for n in titles if any(k[1] == n for k in cells)]
    code = sum(c for _, c in modules.values())
    lines = ["## Compile speed", "", intro(rows, used), ""]
    head = ["module", "size MB", "code MB"] + [titles[n][0] + " MB/s" for n in used]
    body = [[m, "%.1f" % (size / 1e6), "%.1f" % (c / 1e6)] +
            [fmt_speed(c, cells.get((m, n))) for n in used] for m, (size, c) in modules.items()]
    body.append(["**all**", "%.1f" % (sum(s for s, _ in modules.values()) / 1e6), "%.1f" % (code / 1e6)] +
                ["**%s**" % fmt_bound(per_mb(code, total(cells, modules, n))) for n in used])
    lines += table(head, body, "lrr" + "r" * len(used))
    lines += ["", "Median CPU time in seconds / median wall-clock seconds / median CPU seconds of "
              "the whole process / peak RSS in MB:", ""]
    body = [[m] + [fmt_cost(cells.get((m, n)), walls.get((m, n)), procs.get((m, n)), rss.get((m, n)))
                   for n in used]
            for m in modules]
    lines += table(["module"] + [titles[n][0] for n in used], body, "l" + "r" * len(used))
    lines += ratio_table(cells, modules)
    bad = [r for r in failures(rows) if not r["status"].startswith("over cap ")]
    if bad:
        lines += ["", "**%d failed runs:**" % len(bad)]
        lines += ["- %s, %s, run %s: %s" % (r["module"], r["tool"], r["rep"], r["status"]) for r in bad[:20]]
    missing = not_used(titles)
    if missing:
        lines += ["", "Not measured:", ""] + missing
    lines += ["", "![compile throughput](%s)" % charts["compile"]]
    write_compile_dat(out, modules, cells, used, titles)
    return lines, bad, Compile(code, {n: total(cells, modules, n) for n in used})


def intro(rows, used):
    reps = OrderedDict()
    for r in rows:
        reps[r["tool"]] = max(reps.get(r["tool"], 0), int(r["rep"]))
    counts = sorted(set(reps.values()))
    runs = "%d runs" % counts[-1] if len(counts) == 1 else \
        "%d runs (%s)" % (counts[-1], ", ".join("%s: %d" % (n, k) for n, k in reps.items() if k != counts[-1]))
    return ("Large real modules from npm (bench/fetch-modules.sh). Throughput is the size of the code "
            "section (the function bodies: data segments cost no compile work) in MB (10^6 bytes) "
            "over the median CPU time of %s. Each tool times its own work inside its process, from the "
            "module's bytes in memory to the compiled module: Trident by `trident validate -v` and "
            "`trident compile -v --backend=B` (decoding included, nothing written), V8 around the one "
            "call (`WebAssembly.validate`, or `new WebAssembly.Module` with lazy compilation off and "
            "one thread). The whole process (start-up and reading the file too) is in the second "
            "table. llvm compiles "
            "on several threads (CPU time counts them all) and is stopped at a CPU cap "
            "(LLVM_COMPILE_CAP): \"> N s\" is a run the cap stopped. Peak RSS is the whole process "
            "(node alone takes ~45 MB)." % runs)


def ratio_table(cells, modules):
    """Per module and overall, the figures the backends' goals are stated in."""
    cols = [("singlepass / validate (goal <= 3)", "trident-singlepass", "trident-validate", 2),
            ("V8 Liftoff / singlepass (goal >= 2)", "v8-liftoff", "trident-singlepass", 2),
            ("llvm / optimizing (goal >= 10)", "trident-llvm", "trident-optimizing", 1),
            ("optimizing / singlepass (goal <= 5)", "trident-optimizing", "trident-singlepass", 1)]
    lines = ["", "Compile-time ratios (CPU time over CPU time; the issues' goals in the header):", ""]
    body = []
    for m in modules:
        body.append([m] + [fmt_bound(ratio(cell_time(cells.get((m, a))), cell_time(cells.get((m, b)))), d)
                           for _, a, b, d in cols])
    body.append(["**all**"] + ["**%s**" % fmt_bound(ratio(total(cells, modules, a), total(cells, modules, b)), d)
                               for _, a, b, d in cols])
    return lines + table(["module"] + [c[0] for c in cols], body, "l" + "r" * len(cols))


def fmt_speed(nbytes, cell):
    t = cell_time(cell)
    return fmt_bound(per_mb(nbytes, t)) if t else fmt_time(cell)


def fmt_cost(cell, wall, process, rss_kb):
    t = cell_time(cell)
    if t is None:
        return fmt_time(cell)
    if t.bound:
        return "> %.0f s CPU" % t.value
    return "%.3f / %.3f / %s / %d" % (cell[0], wall[0], "%.3f" % process[0] if process else "-",
                                      round(rss_kb / 1024))


def write_compile_dat(out, modules, cells, used, titles):
    """MB/s per module and tool for the chart; a bound is left out."""
    with atomic_write(os.path.join(out, "compile.dat")) as f:
        f.write("module " + " ".join('"%s"' % titles[n][0] for n in used) + "\n")
        for m, (_, code) in modules.items():
            speeds = [per_mb(code, cell_time(cells.get((m, n)))) for n in used]
            label = m[:-len(".wasm")].replace("--", "/")  # package/file, as fetched
            f.write('"%s" ' % label + " ".join("%.2f" % s.value if s and not s.bound else "-"
                                               for s in speeds) + "\n")
