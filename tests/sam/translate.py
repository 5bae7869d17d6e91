#!/usr/bin/env python3
"""Translates SAM templates with AWS's own translator (aws-sam-translator, pinned in
tests/serve/requirements.txt), as `sam validate` / CloudFormation's transform do.

    translate.py IN.yaml OUT.json [IN.yaml OUT.json ...]

Exit 0 when all were translated; a template the translator rejects is reported on
stderr (`REJECTED path: why`) and skipped, with exit 3.
"""

import json
import logging
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
logging.disable(logging.CRITICAL)  # the translator's metrics and plugin chatter

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse


# Properties `sam package` rewrites from a local path to the S3 object it uploads; the
# translator accepts only the packaged form.
PACKAGED = ("CodeUri", "DefinitionUri", "ContentUri")


def package(props: dict) -> None:
    for key in PACKAGED:
        value = props.get(key)
        if isinstance(value, str) and not value.startswith("s3://"):
            props[key] = f"s3://hornbeam-artifacts/{value.strip('./') or 'root'}"


def translate(text: str) -> dict:
    template = yaml_parse(text)
    for section in (template.get("Globals") or {}).values():
        if isinstance(section, dict):
            package(section)
    for resource in (template.get("Resources") or {}).values():
        if isinstance(resource, dict) and isinstance(resource.get("Properties"), dict):
            package(resource["Properties"])
    # Pseudo parameters as hornbeam's defaults (template::Settings::default()).
    params = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
    # The bundled managed-policy map answers the names; no AWS call is made.
    return Translator(None, Parser()).translate(template, parameter_values=params,
                                                get_managed_policy_map=lambda: {})


def main() -> int:
    args = sys.argv[1:]
    rejected = False
    for src, dst in zip(args[::2], args[1::2]):
        with open(src) as f:
            text = f.read()
        try:
            out = translate(text)
        except InvalidDocumentException as e:
            print(f"REJECTED {src}: {'; '.join(str(c) for c in e.causes)}", file=sys.stderr)
            rejected = True
            continue
        except Exception as e:  # the translator's own failures: reported, not hidden
            print(f"REJECTED {src}: {type(e).__name__}: {e}", file=sys.stderr)
            rejected = True
            continue
        # YAML dates (an unquoted AWSTemplateFormatVersion) as the strings they were.
        text = json.dumps(out, indent=1, default=str)
        with open(dst, "w") as f:
            f.write(text)
    return 3 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
