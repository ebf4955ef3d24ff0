"""Runs one command and measures it: wall time, CPU time and peak memory."""
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections import namedtuple

Result = namedtuple("Result", "seconds cpu_seconds maxrss_kb status stdout stderr")
# seconds: wall clock; cpu_seconds: user + system time of the command and
# every process and thread it ran, which other work on a shared machine
# disturbs much less than the wall clock.
# status: "ok" (exit 0), "exit N", "signal N", "timeout" or "cannot start: why".

# GNU time reports the child's peak RSS. Measuring it from here with wait4
# would not do: a child forked from Python counts Python's own pages too.
TIME = "/usr/bin/time"


def run_timed(argv, timeout):
    """Runs argv with stdin closed and stdout/stderr captured, in its own
    process group so a timeout kills all of it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as rss:
        start = time.perf_counter()
        try:
            child = subprocess.Popen([TIME, "-f", "%M", "-o", rss.name, "--"] + argv,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                     start_new_session=True)
        except OSError as e:
            return Result(0.0, 0.0, 0, "cannot start: %s" % e.strerror, "", "")
        # Popen.wait(timeout) polls in steps of up to 50 ms, which would
        # quantize the times: block in wait4 and let a timer kill instead.
        # wait4's usage of GNU time includes the command it waited for.
        timed_out = threading.Event()
        timer = threading.Timer(timeout, lambda: (timed_out.set(), os.killpg(child.pid, signal.SIGKILL)))
        timer.start()
        _, wstatus, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        code = child.returncode = os.waitstatus_to_exitcode(wstatus)  # reaped here, not by Popen
        status = "timeout" if timed_out.is_set() else None
        # time's own lines ("Command exited with non-zero status 3") come
        # first; the last line is the figure.
        report = rss.read().split()
        maxrss = int(report[-1]) if report and report[-1].isdigit() else 0
        if status is None:
            status = ("ok" if code == 0 else "signal %d" % (code - 128)
                      if "signal" in " ".join(report) else "exit %d" % code)
        out.seek(0)
        err.seek(0)
        return Result(seconds, usage.ru_utime + usage.ru_stime, maxrss, status,
                      out.read().decode(errors="replace"), err.read().decode(errors="replace"))
