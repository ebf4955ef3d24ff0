"""The report's summary: the figures the issues' goals are stated in, each
beside its goal, computed from the run-time and compile-speed results."""
from report_common import geomean, table
from report_compile import Figure, per_mb, ratio

# (what is compared, runner, base runner, goal or None, the mode the goal
# is judged on, issue). Runner names have {m} for the mode, jit or aot; the
# figure is the geometric mean over the programs of runner time / base
# time, so lower is better. goal None: shown for context.
RUN_GOALS = [
    ("singlepass / V8 Liftoff", "trident-singlepass-{m}", "v8-liftoff", 1.0, "jit", 5),
    ("optimizing / llvm", "trident-optimizing-{m}", "trident-llvm-{m}", 1.3, "aot", 11),
    ("optimizing / V8 TurboFan", "trident-optimizing-{m}", "v8-turbofan", 1.0, "jit", 11),
    ("llvm / native", "trident-llvm-{m}", "native", 1.10, "aot", 7),
    ("llvm / V8 TurboFan", "trident-llvm-{m}", "v8-turbofan", 1.0, "aot", 7),
    ("wasm2c + gcc -O2 / native", "wasm2c", "native", None, "aot", 7),
]
MODES = ("jit", "aot")

# (what, tool, base tool or None for MB/s, goal, at_most, issue), over all
# the large modules together: sums of median CPU times.
COMPILE_GOALS = [
    ("singlepass MB/s", "trident-singlepass", None, 60, False, 5),
    ("V8 Liftoff time / singlepass time", "v8-liftoff", "trident-singlepass", 2, False, 5),
    ("singlepass time / validation time", "trident-singlepass", "trident-validate", 3, True, 5),
    ("llvm time / optimizing time", "trident-llvm", "trident-optimizing", 10, False, 11),
    ("optimizing time / singlepass time", "trident-optimizing", "trident-singlepass", 5, True, 11),
]


def pair_mean(run, a, b):
    """(geometric mean of a's median / b's median, programs) over the
    programs where both succeeded."""
    pairs = [(run.cells.get((p, a)), run.cells.get((p, b))) for p in run.programs]
    ratios = [x[0] / y[0] for x, y in pairs if isinstance(x, tuple) and isinstance(y, tuple)]
    return geomean(ratios), len(ratios)


def run_figure(run, a, b, mode):
    """(Figure or None, programs) of runner a over b in mode; a runner name
    without {m} exists only in aot form (compiled ahead)."""
    if run is None or ("{m}" not in a and mode != "aot"):
        return None, 0
    mean, n = pair_mean(run, a.format(m=mode), b.format(m=mode))
    return (Figure(mean, "") if mean is not None else None), n


def fmt_mean(fig, n, judged):
    if fig is None:
        return "-"
    shown = "%.2f (%d)" % (fig.value, n)
    return "**%s**" % shown if judged else shown


def judge(fig, goal, at_most):
    """Whether fig meets the goal; a bound decides only when it is on the
    deciding side."""
    if fig is None:
        return "not measured"
    if goal is None:
        return ""
    meets = fig.value <= goal if at_most else fig.value >= goal
    # A lower bound (">") decides "not met" of an at-most goal and "met" of
    # an at-least one; an upper bound ("<") the other two.
    if fig.bound and meets == ((fig.bound == ">") == at_most):
        return "undecided (bound)"
    return "met" if meets else "**not met**"


def goals_section(run, comp):
    """Markdown lines: the run-time and compile-speed goals."""
    lines = ["## Summary: the issues' goals", "",
             "Run time: geometric mean over the programs of the first runner's median CPU time "
             "over the second's (lower is faster; 1.10 = 10% slower). **jit**: the Trident rows "
             "compile inside every run (as V8 does in its); **aot**: they ran code compiled ahead "
             "(as native and wasm2c are). Each goal is judged on the column its issue or the "
             "benchmark brief names (in bold); in parentheses, the number of programs.", ""]
    body = []
    for what, a, b, goal, judged, issue in RUN_GOALS:
        figs = {m: run_figure(run, a, b, m) for m in MODES}
        fig, n = figs[judged]
        body.append([what] + [fmt_mean(*figs[m], m == judged and goal is not None) for m in MODES] +
                    ["-" if goal is None else "<= %.2f (%s)" % (goal, judged),
                     judge(fig, goal, True) if goal is not None else "", "#%d" % issue])
    lines += table(["comparison", "jit", "aot", "goal", "", "issue"], body, "lrrrll")
    lines += ["", "Compile speed, all the large modules together (sums of median CPU times; "
              "\">\" / \"<\": a bound, some run reached the llvm CPU cap):", ""]
    body = []
    for what, a, b, goal, at_most, issue in COMPILE_GOALS:
        fig = compile_figure(comp, a, b)
        shown = "-" if fig is None else "**%s%.1f**" % (fig.bound, fig.value)
        body.append([what, shown, ("<= " if at_most else ">= ") + str(goal), judge(fig, goal, at_most),
                     "#%d" % issue])
    lines += table(["figure", "value", "goal", "", "issue"], body, "lrrll")
    return lines


def compile_figure(comp, a, b):
    if comp is None:
        return None
    if b is None:
        return per_mb(comp.code_bytes, comp.totals.get(a))
    return ratio(comp.totals.get(a), comp.totals.get(b))
