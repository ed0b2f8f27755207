#!/usr/bin/env bash
# Size of the release wasm as browsers download it: raw, gzip -9, and brotli -q 11 / -q 4
# (4 is what the server's on-the-fly compression uses). Run after `cargo leptos build --release`.
set -euo pipefail
wasm="$(dirname "$0")/../target/site/pkg/faraday.wasm"
python3 -m pip show brotli >/dev/null 2>&1 || python3 -m pip install -q brotli
python3 - "$wasm" <<'PY'
import brotli, gzip, sys
d = open(sys.argv[1], "rb").read()
kb = lambda n: f"{n / 1000:.0f} KB"
print(f"raw {kb(len(d))}, gzip -9 {kb(len(gzip.compress(d, 9)))}, "
      f"brotli -q 11 {kb(len(brotli.compress(d, quality=11)))}, brotli -q 4 {kb(len(brotli.compress(d, quality=4)))}")
PY
