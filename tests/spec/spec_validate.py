#!/usr/bin/env python3
"""Spec conformance of `trident validate`.

usage: spec_validate.py TRIDENT SPEC_DIR [-v] [NAME...]

Converts each SPEC_DIR/NAME.wast with wast2json into a temporary directory
and checks every module in one `trident validate` run per file: modules of
`module`, `assert_unlinkable` and `assert_uninstantiable` commands must be
accepted; those of `assert_invalid` and binary `assert_malformed` rejected.
Prints `PASS spec-validate/NAME` or `FAIL spec-validate/NAME: why` per file.
Rejections whose message does not start with the expected text are counted
on a `note:` line (and listed with -v): the suite's messages are a guide,
only accepting or rejecting is checked."""
import json
import os
import subprocess
import sys
import tempfile

ACCEPT = ("module", "assert_unlinkable", "assert_uninstantiable")
REJECT = ("assert_invalid", "assert_malformed")
CRASH_EXIT = 86  # sanitizers exit with this, to tell crashes from rejections


def expectations(json_path):
    """(wasm file, should_accept, expected text, line) for each module."""
    with open(json_path) as f:
        commands = json.load(f)["commands"]
    out = []
    for c in commands:
        kind = c["type"]
        if kind in ACCEPT and c.get("module_type", "binary") == "binary":
            out.append((c["filename"], True, "", c["line"]))
        elif kind in REJECT and c.get("module_type") == "binary":
            out.append((c["filename"], False, c["text"], c["line"]))
    return out


def run_trident(trident, files):
    """Returns ({file: error message}, crash description or None)."""
    env = dict(os.environ)
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env[var] = (env.get(var, "") + ":exitcode=%d" % CRASH_EXIT).lstrip(":")
    p = subprocess.run([trident, "validate"] + files, capture_output=True, text=True,
                       errors="replace", env=env, timeout=600)
    if p.returncode not in (0, 1) or "Sanitizer" in p.stderr or "runtime error" in p.stderr:
        return {}, "exit status %d: %s" % (p.returncode, p.stderr[-400:].strip())
    errors = {}
    for line in p.stderr.splitlines():  # "PATH: ..." or, for text, "PATH:LINE:COL: ..."
        path, sep, rest = line.partition(":")
        if sep and path in files:
            errors[path] = rest.strip()
    return errors, None


def check_file(trident, wast, work, verbose):
    name = os.path.basename(wast)[:-len(".wast")]
    out = os.path.join(work, name)
    os.mkdir(out)
    conv = subprocess.run(["wast2json", wast, "-o", os.path.join(out, name + ".json")],
                          capture_output=True, text=True)
    if conv.returncode != 0:
        return "FAIL spec-validate/%s: wast2json failed: %s" % (name, conv.stderr.strip()), 0
    exp = expectations(os.path.join(out, name + ".json"))
    if not exp:
        return "PASS spec-validate/%s" % name, 0
    files = [os.path.join(out, e[0]) for e in exp]
    errors, crash = run_trident(trident, files)
    if crash:
        return "FAIL spec-validate/%s: trident crashed: %s" % (name, crash), 0
    wrong, other_msg = [], 0
    for (fname, accept, text, line), path in zip(exp, files):
        got = errors.get(path)
        if accept and got is not None:
            wrong.append("%s (line %d) rejected: %s" % (fname, line, got))
        elif not accept and got is None:
            wrong.append("%s (line %d) accepted, expected \"%s\"" % (fname, line, text))
        elif not accept and text not in got:
            other_msg += 1
            if verbose:
                print("note: %s (line %d): expected \"%s\", got \"%s\"" % (fname, line, text, got))
    if wrong:
        return ("FAIL spec-validate/%s: %d of %d modules wrong: %s"
                % (name, len(wrong), len(exp), "; ".join(wrong[:5]))), other_msg
    return "PASS spec-validate/%s" % name, other_msg


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    if len(args) < 2:
        sys.exit(__doc__)
    trident, spec = os.path.abspath(args[0]), args[1]
    if not os.access(trident, os.X_OK):
        print("FAIL spec-validate: %s is not an executable" % trident)
        return 1
    names = args[2:] or sorted(f[:-5] for f in os.listdir(spec) if f.endswith(".wast"))
    failed, other_msg = 0, 0
    with tempfile.TemporaryDirectory() as work:
        for n in names:
            line, k = check_file(trident, os.path.join(spec, n + ".wast"), work, verbose)
            other_msg += k
            failed += line.startswith("FAIL")
            print(line, flush=True)
    print("note: %d rejections with a message other than the suite's" % other_msg)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
