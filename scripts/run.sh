#!/usr/bin/env bash
# Installs what is missing, builds SqueezeDesk and starts the desktop app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==> building the app"
npm --prefix ui run build --silent
cargo build --release -p squeezedesk-app -p squeezedesk
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat <<'MSG'
No display found. Run the app inside a virtual X server:

    xvfb-run -a scripts/run.sh

or use the command-line tool, which needs no window:

    target/release/squeezedesk --help
MSG
  exit 1
fi
exec target/release/squeezedesk-app
