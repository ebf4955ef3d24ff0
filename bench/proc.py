"""Runs one command and measures it: wall time, CPU time and peak memory."""
import os
import resource
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


def _cpu_limit(seconds):
    """A preexec_fn that stops the command once it has used this much CPU
    time, all threads counted (SIGXCPU; SIGKILL 5 s later if it goes on)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    return limit


def over_cpu_cap(status):
    """True for the status of a command that run_timed stopped at its cap."""
    return status in ("signal %d" % signal.SIGXCPU, "signal %d" % signal.SIGKILL)


def run_timed(argv, timeout, cpu_cap=None):
    """Runs argv with stdin closed and stdout/stderr captured, in its own
    process group so a timeout kills all of it. cpu_cap: whole seconds of
    CPU time after which the command is stopped (see over_cpu_cap)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as rss:
        start = time.perf_counter()
        try:
            child = subprocess.Popen([TIME, "-f", "%M", "-o", rss.name, "--"] + argv,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                     start_new_session=True,
                                     preexec_fn=_cpu_limit(cpu_cap) if cpu_cap else None)
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
        return Result(seconds, usage.ru_utime + usage.ru_stime, maxrss, status, _text(out), _text(err))


# What is kept of a command's stdout or stderr: the programs print a few
# lines; a broken runner once printed a gigabyte on one line.
KEEP = 1 << 20


def _text(f):
    """f's text from the start, cut after KEEP bytes with a last line saying
    so (so it can never equal a real program's output)."""
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    text = f.read(KEEP).decode(errors="replace")
    return text if size <= KEEP else text + "\n[output cut: %d bytes in all]\n" % size
