#!/usr/bin/env bash
# Sets everything up, builds the release app and serves it on http://127.0.0.1:3000 with an
# embedded SQLite file (./faraday.db). Extra arguments go to `faraday serve` (see `--help`).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$root"
cargo leptos build --release
# cargo-leptos writes the site inside the checkout (target/site) even when CARGO_TARGET_DIR is elsewhere.
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$root/target/site}"
# First start: a demo club's accounts, with fresh random passwords printed here (never a default one).
"$CARGO_TARGET_DIR/release/faraday" demo --if-no-accounts
exec "$CARGO_TARGET_DIR/release/faraday" serve "$@"
