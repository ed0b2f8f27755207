#!/usr/bin/env bash
# Imports an export of about 300,000 events into a fresh SQLite database with the release `faraday`
# binary, and prints the time and the peak memory (GNU time's maximum resident set). The export is a
# living club's: `faraday demo --members 22000` (memberships, payments, freezes, 30 days of check-ins,
# all decided by the domain) written out by `faraday export`, exactly as a club would take its data away.
# Run after `cargo leptos build --release` (or `cargo build --release -p server`).
#   bench/import.sh                  BENCH_MEMBERS=22000 by default (about 300,000 events)
set -euo pipefail
bin="${FARADAY_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/faraday/target}/release/faraday}"
members="${BENCH_MEMBERS:-22000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }

# The club to export, made the way `faraday demo` makes it (not timed).
made="$(DATABASE_URL="sqlite://$dir/club.db" RUST_LOG=warn "$bin" demo --members "$members")"
club="$(printf '%s\n' "$made" | sed -n 's/^The demo club (\([0-9a-f-]*\)).*/\1/p' | head -n 1)"
DATABASE_URL="sqlite://$dir/club.db" RUST_LOG=warn "$bin" export --club "$club" -o "$dir/club.jsonl"
echo "export: $(wc -l < "$dir/club.jsonl") events of $members members, $(du -h "$dir/club.jsonl" | cut -f1)"

DATABASE_URL="sqlite://$dir/import.db" RUST_LOG=warn /usr/bin/time -f "import: %e s, peak memory %M KB" \
  "$bin" import --club "$club" "$dir/club.jsonl"
