#!/usr/bin/env bash
# Install domicile with its development extras into .venv, then lint, type-check and run every test.
# This is the README's test command and what CI runs (.ci/run). Tests use the PostgreSQL server on
# 127.0.0.1:5432; with CI=true a missing server fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# vPDQ (a dev extra) compiles against FFmpeg's development libraries from Debian.
if ! pkg-config --exists libavcodec libavformat libavutil libswscale libavdevice libavfilter 2>/dev/null \
   || ! command -v cmake >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libavcodec-dev libavformat-dev libavutil-dev \
      libswscale-dev libavdevice-dev libavfilter-dev pkg-config cmake >/dev/null
  else
    echo "scripts/test.sh: install FFmpeg dev libraries first (see README)" >&2; exit 1
  fi
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
.venv/bin/ruff check src tests bench examples
.venv/bin/ruff format --check src tests bench examples
.venv/bin/mypy
.venv/bin/pytest "$@"
