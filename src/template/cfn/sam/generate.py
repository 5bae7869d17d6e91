#!/usr/bin/env python3
"""Regenerates src/template/cfn/sam/policy_templates.json, the SAM policy templates.

Source: the PyPI package aws-sam-translator (Apache-2.0, Amazon), the library that runs
the `AWS::Serverless-2016-10-31` transform; its policy_templates_data/policy_templates.json
is what `Policies: [{S3ReadPolicy: {BucketName: ...}}]` expands to. Usage:

    cd /tmp && pip download aws-sam-translator==1.115.0 --no-deps && unzip -o aws_sam_translator-1.115.0-py3-none-any.whl
    python3 src/template/cfn/sam/generate.py /tmp > src/template/cfn/sam/policy_templates.json

Output: {"source": "...", "templates": {NAME: {"parameters": [..], "definition": {..}}}},
one template per line, sorted by name, so that a version bump diffs by template.
"""

import json
import pathlib
import sys


def main() -> None:
    root = pathlib.Path(sys.argv[1])
    data = json.loads((root / "samtranslator/policy_templates_data/policy_templates.json").read_text())
    meta = next(root.glob("aws_sam_translator-*.dist-info"), None)
    version = meta.name.removesuffix(".dist-info").split("-")[1] if meta else "?"
    templates = data["Templates"]
    print("{")
    source = f"aws-sam-translator {version} (Apache-2.0), policy_templates.json {data['Version']}"
    print(f'"source": {json.dumps(source)},')
    print('"templates": {')
    names = sorted(templates)
    for i, name in enumerate(names):
        t = templates[name]
        entry = {"parameters": sorted(t.get("Parameters", {})), "definition": t["Definition"]}
        comma = "," if i + 1 < len(names) else ""
        print(f"{json.dumps(name)}: {json.dumps(entry, sort_keys=True)}{comma}")
    print("}")
    print("}")


if __name__ == "__main__":
    main()
