"""What the report's sections share: reading the result files, a cell's
median and range, geometric means and markdown tables."""
import csv
import math
import statistics
from collections import OrderedDict


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


def table(header, rows, align):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def not_used(titles):
    return ["- %s: %s" % (t, why) for t, why in titles.values() if why != "ok"]


def failures(rows):
    return [r for r in rows if r["status"] != "ok"]


def fmt_time(cell):
    if cell is None:
        return "-"
    if isinstance(cell, str):
        return "**FAIL: %s**" % cell
    return "%.3f (%.3f-%.3f)" % cell


def fmt_ratio(v):
    return "-" if v is None else "%.2f" % v


def verdict(value, goal, at_most):
    """"met" or "**not met**" for value against goal (value <= goal when
    at_most, else value >= goal); "-" without a value."""
    if value is None:
        return "-"
    return "met" if (value <= goal if at_most else value >= goal) else "**not met**"
