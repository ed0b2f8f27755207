#!/usr/bin/env bash
# Installs what building, running and testing Faraday needs, skipping whatever is already there.
# Everything comes from the package registries (crates.io, npm, Debian): nothing from GitHub.
# Source it (`. scripts/setup.sh`) to also get PATH, CARGO_TARGET_DIR and LEPTOS_OUTPUT_NAME in your
# shell: the installs run in a subshell with `set -e`, so a sourcing shell keeps its own options.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# One target directory outside the clone, shared by every checkout on this machine, so that a
# second run (or CI in a fresh clone) builds incrementally. Cargo decides what is stale by file
# times, not paths: after building another checkout, a checkout whose files are older than that
# build may be taken as built. A fresh clone is always newer; otherwise `touch` the changed files,
# or give the checkout its own CARGO_TARGET_DIR.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/faraday/target}"
tools="${FARADAY_TOOLS:-$HOME/.cache/faraday/tools}"
export PATH="$tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
mkdir -p "$CARGO_TARGET_DIR" "$tools"
# leptos reads this at compile time (to name the wasm file the page loads). cargo-leptos sets it for
# its builds; setting it for every cargo command too keeps `cargo nextest` from rebuilding leptos
# differently and overwriting the server binary with one that asks for the wrong wasm file.
export LEPTOS_OUTPUT_NAME=faraday

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

(
set -euo pipefail
cd "$root"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

if ! cargo leptos --version >/dev/null 2>&1; then
  # cargo-leptos 0.3.11's locked dependencies need rustc >= 1.96: build it with nightly when the
  # stable toolchain is older. `no_downloads` makes it use the tools on PATH instead of GitHub.
  say "installing cargo-leptos (takes 15-40 minutes on 2 cores)"
  if rustup toolchain list | grep -q '^nightly'; then
    cargo +nightly install cargo-leptos --version 0.3.11 --locked --features no_downloads
  else
    cargo install cargo-leptos --version 0.3.11 --locked --features no_downloads
  fi
fi

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
  say "installing wasm-bindgen-cli $wasm_bindgen_version"
  # Not --locked: a locked dependency of 0.2.130 was yanked.
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
fi

# wasm-opt from npm's binaryen (Debian's is too old for the wasm modern Rust emits).
if ! [ -x "$tools/node_modules/.bin/wasm-opt" ]; then
  say "installing wasm-opt (npm binaryen)"
  npm install --prefix "$tools" --no-audit --no-fund binaryen@132 >/dev/null
fi

# Chromium for Playwright; its driver for the browser store's wasm-bindgen tests.
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  say "installing Chromium and its driver (Debian)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; fi
fi

# The Playwright runner only; it uses the Chromium above and downloads no browser.
if ! [ -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing the end-to-end test runner (npm ci)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
fi
) || { return 1 2>/dev/null || exit 1; }
