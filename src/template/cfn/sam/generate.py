#!/usr/bin/env python3
"""Regenerates the SAM data hornbeam expands templates with, from AWS's translator.

Source: the PyPI package aws-sam-translator (Apache-2.0, Amazon), the library that runs
the `AWS::Serverless-2016-10-31` transform. Two files come from it:

- policy_templates.json, from policy_templates_data/policy_templates.json: what
  `Policies: [{S3ReadPolicy: {BucketName: ...}}]` expands to;
- connector_profiles.json, from model/connector_profiles/profiles.json: the policies and
  permissions an `AWS::Serverless::Connector` creates for each source and destination
  type.

Usage (the version pinned in tests/serve/requirements.txt):

    cd /tmp && pip download aws-sam-translator==1.115.0 --no-deps && unzip -o aws_sam_translator-1.115.0-py3-none-any.whl -d sam
    python3 src/template/cfn/sam/generate.py /tmp/sam src/template/cfn/sam

Each output is {"source": "...", ...} with one entry per line, sorted, so that a version
bump diffs by template or profile.
"""

import json
import pathlib
import sys


def version(root: pathlib.Path) -> str:
    meta = next(root.glob("aws_sam_translator-*.dist-info"), None)
    return meta.name.removesuffix(".dist-info").split("-")[1] if meta else "?"


def write(path: pathlib.Path, source: str, key: str, entries: dict, extra: dict | None = None) -> None:
    lines = ["{", f'"source": {json.dumps(source)},']
    for k, v in (extra or {}).items():
        lines.append(f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)},")
    lines.append(f'"{key}": {{')
    names = sorted(entries)
    for i, name in enumerate(names):
        comma = "," if i + 1 < len(names) else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(entries[name], sort_keys=True)}{comma}")
    lines += ["}", "}"]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    v = version(root)
    data = json.loads((root / "samtranslator/policy_templates_data/policy_templates.json").read_text())
    templates = {
        name: {"parameters": sorted(t.get("Parameters", {})), "definition": t["Definition"]}
        for name, t in data["Templates"].items()
    }
    write(out / "policy_templates.json",
          f"aws-sam-translator {v} (Apache-2.0), policy_templates.json {data['Version']}",
          "templates", templates)
    profiles = json.loads((root / "samtranslator/model/connector_profiles/profiles.json").read_text())
    # Permissions by "SOURCE_TYPE DESTINATION_TYPE"; the order of access categories is
    # kept as a list, since the translator emits their statements in that order.
    permissions = {}
    for src, dests in profiles["Permissions"].items():
        for dst, p in dests.items():
            props = dict(p["Properties"])
            props["AccessCategories"] = [[name, body] for name, body in p["Properties"]["AccessCategories"].items()]
            permissions[f"{src} {dst}"] = {"type": p["Type"], "properties": props}
    write(out / "connector_profiles.json",
          f"aws-sam-translator {v} (Apache-2.0), connector profiles {profiles['Version']}",
          "permissions", permissions, {"resources": profiles["CfnResourceProperties"]})


if __name__ == "__main__":
    main()
