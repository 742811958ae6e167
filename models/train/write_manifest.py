#!/usr/bin/env python3
"""Regenerate manifest.json of a model folder (read by the Rust engine), keeping its schema exactly.

Updates, in the existing manifest.json of the folder:
    files.<name>.sha256 / .bytes      for every file listed under "files" (the list itself is kept)
    heads.sentiment.labels            from labels.json "sentiment"
    heads.intent.labels               from labels.json "intent"
    heads.intent.temperature          from oos-calibration.json "temperature"
    heads.intent.oos_threshold        from oos-calibration.json "oos_threshold"
    version                           only with --version
Every other key, and the key order, stay as they are. The engine applies:
probs = softmax(logits / temperature); oos if argmax == oos_label or max in-scope prob < oos_threshold.

Usage:
    python write_manifest.py models/squeezebert-mini [--version 1.1.0] [--check]
--check: only verify that the manifest matches the folder (exit 1 if not), write nothing.
"""

import argparse
import hashlib
import json
import os
import sys


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def regenerate(folder: str, version: str | None = None) -> dict:
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(folder, "labels.json"), encoding="utf-8") as f:
        labels = json.load(f)
    with open(os.path.join(folder, "oos-calibration.json"), encoding="utf-8") as f:
        calibration = json.load(f)
    intent = manifest["heads"]["intent"]
    if intent["oos_label"] not in labels["intent"]:
        raise SystemExit(f"oos label {intent['oos_label']!r} is not in labels.json")
    manifest["heads"]["sentiment"]["labels"] = labels["sentiment"]
    intent["labels"] = labels["intent"]
    intent["temperature"] = float(calibration["temperature"])
    intent["oos_threshold"] = float(calibration["oos_threshold"])
    if not intent["temperature"] > 0 or not 0.0 <= intent["oos_threshold"] < 1.0:
        raise SystemExit("temperature must be > 0 and oos_threshold in [0, 1)")
    for name in manifest["files"]:
        path = os.path.join(folder, name)
        manifest["files"][name] = {"sha256": sha256(path), "bytes": os.path.getsize(path)}
    if version:
        manifest["version"] = version
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--version", default=None)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    new = regenerate(args.folder, args.version)
    path = os.path.join(args.folder, "manifest.json")
    if args.check:
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
        if old != new:
            print("manifest.json does not match the folder", file=sys.stderr)
            sys.exit(1)
        print("manifest.json matches")
        return
    text = json.dumps(new, indent=1, ensure_ascii=False) + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {path}: temperature {new['heads']['intent']['temperature']}, "
          f"oos_threshold {new['heads']['intent']['oos_threshold']}, files {list(new['files'])}")


if __name__ == "__main__":
    main()
