#!/usr/bin/env bash
# The core spec suite on the optimizing backend (see tests/spec/backend.sh).
exec bash "$(dirname "$0")/../spec/backend.sh" optimizing
