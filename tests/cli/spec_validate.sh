#!/usr/bin/env bash
# Spec conformance of decode + validate: every module of the core spec suite
# (../shared/spec/core next to the repository) is accepted or rejected as
# the suite says. One PASS/FAIL line per .wast file.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
spec=$(cd "$root/../shared/spec/core" 2>/dev/null && pwd) || {
    echo "FAIL spec-validate: no spec tests at $root/../shared/spec/core"
    exit 1
}
command -v wast2json >/dev/null || { echo "FAIL spec-validate: wast2json not installed"; exit 1; }
exec python3 "$root/tests/spec/spec_validate.py" "${TRIDENT:-$root/build/trident}" "$spec"
