"""The template's CloudFront Function: the JavaScript file, byte for byte, on viewer-request.

resizer_lambda/edge/negotiate.js is the source; `make edge-function` (.ci/embed_edge_function.py)
copies it into the template. Its behaviour is tested with node (tests/resizer/
test_edge_function.py); here: that CloudFormation deploys exactly that code where it must run.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.imageadmin.test_template import resource, resources_of, template

SOURCE = REPO_ROOT / "resizer_lambda" / "edge" / "negotiate.js"
EMBED = REPO_ROOT / ".ci" / "embed_edge_function.py"


def embedder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("embed_edge_function", EMBED)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def behaviours() -> list[dict[str, Any]]:
    config = resource("Distribution")["Properties"]["DistributionConfig"]
    return [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]


def test_the_function_code_is_the_javascript_file_byte_for_byte() -> None:
    (function,) = resources_of("AWS::CloudFront::Function").values()
    code = function["Properties"]["FunctionCode"]
    assert code.encode("utf-8") == SOURCE.read_bytes()


def test_the_embedder_finds_the_template_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(EMBED), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_embedder_keeps_blank_lines_and_the_keys_around_the_block() -> None:
    module = embedder()
    template_text = "A:\n  FunctionCode: |\n    old\n\n    older\n\n  Next: 1\nB: 2\n"
    code = "// one\n\nfunction handler(event) {\n    return event.request;\n}\n"
    embedded = module.embed(template_text, code)
    assert embedded == (
        "A:\n  FunctionCode: |\n    // one\n\n    function handler(event) {\n"
        "        return event.request;\n    }\n\n  Next: 1\nB: 2\n"
    )
    assert module.embed(embedded, code) == embedded
    for bad in ("no newline", "two\n\n", "tab\there\n", "trailing \n", "caf\u00e9\n"):
        with pytest.raises(ValueError, match=r"negotiate\.js"):
            module.embed(template_text, bad)


def test_the_function_is_published_on_the_javascript_2_runtime_within_limits() -> None:
    (function,) = resources_of("AWS::CloudFront::Function").values()
    props = function["Properties"]
    assert props["AutoPublish"] is True
    assert props["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert len(props["FunctionCode"].encode("utf-8")) <= 10 * 1024  # CloudFront's size quota
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-negotiate"}


def test_every_behaviour_runs_it_on_viewer_request() -> None:
    (name,) = resources_of("AWS::CloudFront::Function")
    for behaviour in behaviours():
        assert behaviour["FunctionAssociations"] == [
            {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [name, "FunctionARN"]}}
        ]


def test_the_cache_key_is_the_uri_alone_so_no_vary_is_needed() -> None:
    policy = resource("VariantsCachePolicy")["Properties"]["CachePolicyConfig"]
    params = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert params["HeadersConfig"] == {"HeaderBehavior": "none"}  # no Accept in the key
    assert params["CookiesConfig"] == {"CookieBehavior": "none"}
    assert "OriginRequestPolicyId" not in behaviours()[0]
    assert "ResponseHeadersPolicyId" not in behaviours()[0]  # nothing adds Vary
    assert "Transform" not in template()
