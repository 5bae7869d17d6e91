#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each) with seeds from the test
# tables, and prints executions and crashes per target. Not part of CI's default path.
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
root=../..
for target in parse evaluate differential template; do
  mkdir -p "corpus/$target"
  # Seeds: every policy of the semantics and check tables.
  python3 - "$root" "corpus/$target" <<'PY'
import json, sys, hashlib, pathlib
root, out = sys.argv[1], pathlib.Path(sys.argv[2])
docs = [json.dumps(c["policy"]) for c in json.load(open(f"{root}/tests/data/eval_cases.json"))]
for c in json.load(open(f"{root}/tests/data/check_cases.json")):
    docs += [v for k, v in c["request"].items() if k.endswith("olicyDocument")]
for d in docs:
    seed = d + "\0arn:aws:iam::111122223333:role/r\0s3:GetObject\0arn:aws:s3:::b/alice/x\0alice\010.1.2.3"
    (out / hashlib.sha1(seed.encode()).hexdigest()).write_text(seed)
PY
  if [ "$target" = template ]; then
    find "$root"/tests/templates -type f \( -name "*.yaml" -o -name "*.json" \) -exec cp {} "corpus/$target/" \;
  fi
  log="$(mktemp)"
  if cargo +nightly fuzz run --fuzz-dir . "$target" "corpus/$target" -- -max_total_time="$seconds" >"$log" 2>&1; then
    status=ok
  else
    status="CRASH (see artifacts/$target)"
  fi
  execs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1 || true)
  echo "$target: ${execs:-?} executions in ${seconds}s: $status"
  rm -f "$log"
done
