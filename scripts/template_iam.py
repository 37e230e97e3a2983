"""Each function's IAM policy from infra/template.yaml, enforced on the emulator.

Moto does not check permissions, so a function that makes a call its role in
the template does not allow works locally and fails in AWS. Each function
names itself in its SDK user agent (`app/twofold-<binary>`, see
functions/twofold/src/aws.rs); `Policies.denial` reads the calls a request
makes and says which one that function's Allow statements do not cover.
Requests without such a name (tests, the operator command) pass unchecked.

What is checked: the action, and for DynamoDB whether it is on the table or
on one of its indexes. A TransactWriteItems needs the action of each item
(PutItem, UpdateItem, DeleteItem, ConditionCheckItem), as in IAM. Deny
statements and conditions are not evaluated: they only narrow what the
Allow statements give, and the checks here are about what is missing.
"""

import json
import re
import urllib.parse

import yaml

AGENT_NAME = re.compile(r"\bapp/twofold-([A-Za-z0-9_-]+)")
SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


class _Loader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, ...) as
    {"Fn": value}, which is all a resource needs to be recognised."""


def _tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


_Loader.add_multi_constructor("!", _tagged)


def _resource_kind(resource):
    """'table', 'index:NAME', or '*' for a statement's resource."""
    if resource == "*":
        return "*"
    if isinstance(resource, dict):
        text = resource.get("GetAtt") or resource.get("Sub") or ""
        if isinstance(text, list):
            text = ".".join(str(t) for t in text)
        if text == "Table.Arn":
            return "table"
        found = re.fullmatch(r"\$\{Table\.Arn\}/index/(.+)", str(text))
        if found:
            return f"index:{found.group(1)}"
    return str(resource)


class Policies:
    """The Allow statements of each function in a SAM template, by binary."""

    def __init__(self, template_path):
        with open(template_path, encoding="utf-8") as f:
            template = yaml.load(f, Loader=_Loader)
        self.allowed = {}
        for resource in template.get("Resources", {}).values():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
            if not binary:
                continue
            grants = set()
            for policy in resource.get("Properties", {}).get("Policies", []):
                for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                    if statement.get("Effect") != "Allow":
                        continue
                    actions = statement.get("Action", [])
                    resources = statement.get("Resource", [])
                    for action in [actions] if isinstance(actions, str) else actions:
                        for res in resources if isinstance(resources, list) else [resources]:
                            grants.add((action, _resource_kind(res)))
            self.allowed[binary] = grants

    def denial(self, environ, body):
        """The first call this request makes that its function may not
        make, as (function, action, resource), or None."""
        agent = environ.get("HTTP_X_AMZ_USER_AGENT", "") + " " + environ.get("HTTP_USER_AGENT", "")
        named = AGENT_NAME.search(agent)
        if not named:
            return None
        function = named.group(1)
        grants = self.allowed.get(function, set())
        for action, resource in calls(environ, body):
            if resource == "*":
                # Outside DynamoDB only the action is checked.
                allowed = any(granted == action for granted, _ in grants)
            else:
                allowed = (action, resource) in grants or (action, "*") in grants
            if not allowed:
                return function, action, resource
        return None


def calls(environ, body):
    """The IAM actions a request needs, each with 'table', 'index:NAME' or
    '*' for its resource."""
    found = SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = found.group(1) if found else ""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if service == "dynamodb":
        operation = target.rpartition(".")[2]
        request = json.loads(body or b"{}")
        if operation == "TransactWriteItems":
            return [
                (f"dynamodb:{TRANSACT_ACTIONS.get(kind, kind)}", "table")
                for item in request.get("TransactItems", [])
                for kind in item
            ]
        if request.get("IndexName"):
            return [(f"dynamodb:{operation}", f"index:{request['IndexName']}")]
        return [(f"dynamodb:{operation}", "table")]
    if service == "ses":
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "POST" and path == "/v2/email/outbound-emails":
            return [("ses:SendEmail", "*")]
        return [(f"ses:{environ.get('REQUEST_METHOD')} {path}", "*")]
    if service == "sns":
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        return [(f"sns:{form.get('Action', ['?'])[0]}", "*")]
    if target:
        prefix = {"AmazonSSM": "ssm"}.get(target.partition(".")[0], service)
        return [(f"{prefix}:{target.rpartition('.')[2]}", "*")]
    return [(f"{service or 'unknown'}:{environ.get('REQUEST_METHOD')}", "*")]
