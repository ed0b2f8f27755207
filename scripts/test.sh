#!/usr/bin/env bash
# Runs every test: the Rust suites (domain, replicator simulations, server over real HTTP on SQLite
# and PostgreSQL), the browser store's tests in Chromium (wasm-bindgen-test), and the Playwright
# suites in Debian's Chromium against the release build.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$root"

# PostgreSQL runs on this kind of machine; start it if it stopped. Its tests need DATABASE_URL.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

say "Rust tests"
# The release profile, as the app is built with it below: dependencies compile once.
cargo nextest run --release --no-fail-fast -p shared -p server

say "browser store tests (wasm-bindgen-test in Chromium)"
# The IndexedDB store against the in-memory reference device, in a real browser.
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p frontend --lib --target wasm32-unknown-unknown

say "building the release app (wasm + server)"
cargo leptos build --release

say "browser tests (Playwright, Chromium)"
export FARADAY_BIN="$CARGO_TARGET_DIR/release/faraday"
# cargo-leptos writes the site inside the checkout (target/site) even when CARGO_TARGET_DIR is elsewhere.
export LEPTOS_SITE_ROOT="$root/target/site"
export E2E_DATABASE_URL="sqlite://$(mktemp -d)/e2e.db"
cd end2end
npx playwright test
