"""Apply the SAM transform to infra/template.yaml offline and print the result.

cfn-lint checks a SAM template's own shape, but not the CloudFormation that
the transform expands it into (roles, permissions, API routes). This runs the
same translator CloudFormation runs, without AWS: local CodeUri paths become a
placeholder S3 location, and any managed-policy name is refused, since looking
one up would need IAM.

Usage: .venv-sam/bin/python scripts/sam_transform.py TEMPLATE > out.json
"""

import json
import os
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

PLACEHOLDER_CODE = "s3://twofold-placeholder-bucket/code.zip"

PSEUDO_PARAMETERS = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "twofold",
    "AWS::StackId": (
        "arn:aws:cloudformation:us-east-1:123456789012:stack/twofold/"
        "00000000-0000-0000-0000-000000000000"
    ),
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}


def replace_local_code(template: dict) -> None:
    """Point every CodeUri that names a local folder at a placeholder."""
    holders = [template.get("Globals", {}).get("Function", {})]
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            holders.append(resource.get("Properties", {}))
    for holder in holders:
        code = holder.get("CodeUri")
        if isinstance(code, str) and not code.startswith("s3://"):
            holder["CodeUri"] = PLACEHOLDER_CODE


def no_managed_policies() -> dict:
    raise SystemExit(
        "the template names a managed policy; resolving it needs IAM, "
        "so give its ARN instead"
    )


def main() -> None:
    # The translator asks boto for a region to name the partition.
    os.environ.setdefault("AWS_DEFAULT_REGION", PSEUDO_PARAMETERS["AWS::Region"])
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    replace_local_code(template)
    translator = Translator(None, Parser())
    try:
        result = translator.translate(
            sam_template=template,
            parameter_values=dict(PSEUDO_PARAMETERS),
            get_managed_policy_map=no_managed_policies,
        )
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"error: {cause}", file=sys.stderr)
        raise SystemExit(f"error: {e}") from None
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
