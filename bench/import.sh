#!/usr/bin/env bash
# Imports an export of 300,000 events (6,000 members x 50) into a fresh SQLite database with the
# release `faraday` binary, and prints the time and the peak memory (GNU time's maximum resident set).
# Run after `cargo leptos build --release` (or `cargo build --release -p server`).
#   bench/import.sh                  BENCH_EVENTS=300000 by default
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FARADAY_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/faraday/target}/release/faraday}"
events="${BENCH_EVENTS:-300000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }

# An export as `faraday export` writes it: one envelope per line, in position order, made the way a
# desk makes them (UUIDv7 ids, canonical data, a registration then a check-in every 11 minutes).
python3 - "$events" > "$dir/club.jsonl" <<'PY'
import json, os, sys, uuid
total = int(sys.argv[1]); per = 50
t0 = 1_600_000_000_000
def v7(ms):
    b = bytearray(ms.to_bytes(6, "big") + os.urandom(10))
    b[6] = (b[6] & 0x0F) | 0x70; b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b)))
position = 0
out = sys.stdout
for m in range(total // per):
    stream = "member-" + str(uuid.UUID(int=10**12 + m))
    for v in range(1, per + 1):
        at = t0 + m * 1000 + (v - 1) * 11 * 60_000
        if v == 1:
            kind, data = "MemberRegistered", {"email": f"m{m}@example.be", "name": f"Member {m}", "phone": "0470 00 00 00"}
        else:
            kind, data = "MemberCheckedIn", {"at_ms": at}
        position += 1
        out.write(json.dumps({"id": v7(at), "stream": stream, "version": v, "type": kind, "schema_version": 1,
                              "data": data, "hlc": {"ms": at, "c": 0}, "device": f"desk-{m % 7}",
                              "position": position}, separators=(",", ":")) + "\n")
PY
echo "export: $(wc -l < "$dir/club.jsonl") events, $(du -h "$dir/club.jsonl" | cut -f1)"
DATABASE_URL="sqlite://$dir/import.db" RUST_LOG=warn /usr/bin/time -f "import: %e s, peak memory %M KB" "$bin" import "$dir/club.jsonl"
