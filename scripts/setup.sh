#!/usr/bin/env bash
# Installs what is missing to build, run and test SqueezeDesk on Debian 12 / Ubuntu with Rust,
# Python 3 and Node.js present: Debian packages (WebKitGTK for the window, Xvfb and
# WebKitWebDriver for the end-to-end tests), the ONNX Runtime library (PyPI wheel → .ort/),
# npm packages from the lockfiles, tauri-driver (→ .tools/) and the Python test packages (→ .venv/).
# Everything project-specific stays inside the repository; re-running it is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(pkg-config libwebkit2gtk-4.1-dev librsvg2-dev xvfb xauth webkit2gtk-driver imagemagick x11-utils xdotool python3-venv)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> ONNX Runtime"
scripts/fetch-onnxruntime.sh

echo "==> npm packages"
[ -d ui/node_modules ] || (cd ui && npm ci --no-audit --no-fund --loglevel=error)
if [ -f tests/e2e/package-lock.json ] && [ ! -d tests/e2e/node_modules ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ ! -x .tools/bin/tauri-driver ]; then
  echo "==> tauri-driver"
  cargo install --quiet --locked --root .tools tauri-driver --version 2.0.6
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> Python test packages"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r models/scripts/requirements.txt
fi
