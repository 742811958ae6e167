#!/usr/bin/env bash
# The whole test suite: formatting and lints, the Rust tests (library, CLI and app commands on the
# real model and real SQLite files), the UI unit tests, the model pipeline's checks, and the
# end-to-end tests that drive the real app in its real webview under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "==> UI build"
npm --prefix ui run build --silent

echo "==> cargo fmt, clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "==> Rust tests"
cargo test --workspace

echo "==> UI unit tests"
npm --prefix ui test --silent

echo "==> model pipeline tests"
.venv/bin/python -m pytest -q models

if [ -f tests/e2e/run.mjs ]; then
  echo "==> end-to-end tests (real app, real webview, Xvfb)"
  cargo build -p squeezedesk-app
  SQUEEZEDESK_APP="$PWD/target/debug/squeezedesk-app" TAURI_DRIVER="$PWD/.tools/bin/tauri-driver" \
    xvfb-run -a -s "-screen 0 1280x800x24" node tests/e2e/run.mjs
fi
