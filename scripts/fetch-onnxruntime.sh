#!/usr/bin/env bash
# Installs the ONNX Runtime shared library into .ort/ from the PyPI wheel (the only
# registry that ships a current CPU build for Linux; Debian 12 has none).
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_VERSION=1.31.1
dest=.ort/lib
[ -f "$dest/libonnxruntime.so.$ORT_VERSION" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --platform manylinux_2_28_x86_64 --python-version 3.12 \
  "onnxruntime==$ORT_VERSION" -d "$tmp"
mkdir -p "$dest"
python3 - "$tmp" "$dest" "$ORT_VERSION" <<'PY'
import pathlib, sys, zipfile
tmp, dest, version = sys.argv[1:]
wheel = next(pathlib.Path(tmp).glob("onnxruntime-*.whl"))
member = f"onnxruntime/capi/libonnxruntime.so.{version}"
with zipfile.ZipFile(wheel) as z:
    (pathlib.Path(dest) / f"libonnxruntime.so.{version}").write_bytes(z.read(member))
PY
ln -sf "libonnxruntime.so.$ORT_VERSION" "$dest/libonnxruntime.so.1"
ln -sf "libonnxruntime.so.$ORT_VERSION" "$dest/libonnxruntime.so"
echo "ONNX Runtime $ORT_VERSION installed in $dest"
