#!/usr/bin/env python3
"""Regenerates src/regions/regions.txt, the AWS partitions and regions hornbeam knows.

Source: botocore's data/partitions.json (Apache-2.0), the table the AWS SDKs use to
tell partitions and regions apart. botocore comes with the pinned AWS clients of
tests/serve/requirements.txt:

    python3 src/regions/generate.py \\
        target/clients-venv/lib/python3.*/site-packages/botocore > src/regions/regions.txt

Output: comment lines, then one line per partition: `partition<TAB>region region ...`.
The `*-global` endpoint names (`aws-global`) are not regions and are left out.
"""

import json
import pathlib
import sys


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1])
    data = json.loads((root / "data" / "partitions.json").read_text())
    version = "?"
    init = root / "__init__.py"
    for line in init.read_text().splitlines():
        if line.startswith("__version__"):
            version = line.split("'")[1] if "'" in line else line.split('"')[1]
    print(f"# source: botocore {version} (Apache-2.0), data/partitions.json; "
          "regenerate with src/regions/generate.py")
    for p in data["partitions"]:
        regions = sorted(r for r in p["regions"] if not r.endswith("-global"))
        print(f"{p['id']}\t{' '.join(regions)}")


if __name__ == "__main__":
    main()
