"""The CloudFormation template: cfn-lint clean, and the properties a reviewer checks by hand.

The template is read with cfn-lint's own decoder, so `!Ref`/`!Sub`/`!GetAtt` arrive as
`{"Ref": ...}`, `{"Fn::Sub": ...}` and `{"Fn::GetAtt": [...]}`. IAM questions ("can the function
write originals/x.jpg?") are answered by a small evaluator over the resolved policies instead of
by comparing strings, so a rewrite of the policy that keeps its meaning keeps passing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from imageadmin.conf import DEFAULTS
from resizer_lambda import metrics as resizer_metrics
from tests.conftest import REPO_ROOT

TEMPLATE = REPO_ROOT / "resizer_lambda" / "template.yaml"
# Values the parameters take in the evaluations below.
PARAMS = {
    "BucketName": "shop-images",
    "OriginalsPrefix": "originals",
    "PresetsKey": "_config/presets.json",
    "FunctionName": "image-resizer",
    "AWS::Partition": "aws",
    "AWS::Region": "eu-central-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "cdn",
}
BUCKET_ARN = "arn:aws:s3:::shop-images"
SETTINGS_FROM_OUTPUTS = {
    "bucket_name",
    "IMAGEADMIN_API_HOST",
    "IMAGEADMIN_API_PATH",
    "IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID",
    "IMAGEADMIN_CDN_URL",
    "IMAGEADMIN_EVENTS_QUEUE_URL",
}


@cache
def template() -> dict[str, Any]:
    tpl, problems = decode(Path(TEMPLATE))
    assert not problems, problems
    assert tpl is not None
    return tpl


def resource(name: str) -> dict[str, Any]:
    return template()["Resources"][name]  # type: ignore[no-any-return]


def resources_of(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == kind}


def resolve(value: Any) -> Any:
    """Resolve Ref and Sub against PARAMS (and the bucket resource to its name)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), refs = next(iter(value.items())), {**PARAMS, "ImagesBucket": "shop-images"}
        if fn == "Ref":
            return refs[arg]
        if fn == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda m: refs[m.group(1)], arg)
    raise AssertionError(f"cannot resolve {value!r}")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def matches(pattern: str, value: str) -> bool:
    """Return whether an IAM ARN/action pattern (* and ?) matches `value`."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE) is not None


def condition_applies(condition: dict[str, Any] | None, context: dict[str, str]) -> bool:
    """Evaluate the few condition operators the template uses; anything else fails the test."""
    for operator, tests in (condition or {}).items():
        for key, expected in tests.items():
            wanted = {resolve(v) for v in as_list(expected)}
            if operator == "StringNotEquals":
                # A missing key makes a negated operator true (IAM's rule).
                if key in context and context[key] in wanted:
                    return False
            elif operator == "StringEquals":
                if context.get(key) not in wanted:
                    return False
            else:
                raise AssertionError(f"teach the test about condition operator {operator}")
    return True


def allowed(
    statements: list[dict[str, Any]], action: str, arn: str, context: dict[str, str] | None = None
) -> bool:
    """Return whether `statements` allow `action` on `arn` (an explicit deny wins)."""
    verdict = False
    for st in statements:
        if "NotResource" in st or "NotAction" in st:
            raise AssertionError("teach the test about NotResource/NotAction")
        if not any(matches(a, action) for a in as_list(st["Action"])):
            continue
        if not any(matches(r, arn) for r in as_list(resolve(st["Resource"]))):
            continue
        if not condition_applies(st.get("Condition"), context or {}):
            continue
        if st["Effect"] == "Deny":
            return False
        verdict = True
    return verdict


def iam_statements() -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (where, statement) for every identity policy in the template."""
    for name, res in resources_of("AWS::IAM::Role").items():
        for policy in res["Properties"].get("Policies", []):
            for st in policy["PolicyDocument"]["Statement"]:
                yield f"{name}/{policy['PolicyName']}", st
    for name, res in resources_of("AWS::IAM::ManagedPolicy").items():
        for st in res["Properties"]["PolicyDocument"]["Statement"]:
            yield name, st


def function_statements() -> list[dict[str, Any]]:
    role = resource("ResizerRole")["Properties"]
    return [st for p in role["Policies"] for st in p["PolicyDocument"]["Statement"]]


def public_statements() -> list[dict[str, Any]]:
    """Return the bucket policy statements that apply to everyone (Principal "*")."""
    doc = resource("ImagesBucketPolicy")["Properties"]["PolicyDocument"]
    return [st for st in doc["Statement"] if st.get("Principal") in ("*", {"AWS": "*"})]


# --- cfn-lint -----------------------------------------------------------------------------------


def test_cfn_lint_reports_no_error_or_warning() -> None:
    config = ManualArgs(
        regions=["us-east-1", "eu-central-1", "ap-southeast-2"], include_experimental=True
    )
    found = lint_file(TEMPLATE, config=config)
    assert [str(m) for m in found] == []


def test_plain_cloudformation_without_sam() -> None:
    assert "Transform" not in template()


# --- the function -------------------------------------------------------------------------------


def test_function_runtime_handler_and_code_from_s3() -> None:
    props = resource("ResizerFunction")["Properties"]
    runtime = template()["Parameters"]["Runtime"]
    assert props["Runtime"] == {"Ref": "Runtime"}
    assert set(runtime["AllowedValues"]) <= {"python3.12", "python3.13"}
    assert runtime["Default"] in ("python3.12", "python3.13")
    assert props["Handler"] == "resizer_lambda.handler.handler"
    assert props["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}}
    arch = template()["Parameters"]["Architecture"]
    assert props["Architectures"] == [{"Ref": "Architecture"}]
    assert set(arch["AllowedValues"]) == {"x86_64", "arm64"}


def test_memory_and_timeout_fit_the_benchmark_and_api_gateway() -> None:
    props = resource("ResizerFunction")["Properties"]
    memory = template()["Parameters"]["MemorySize"]
    assert props["MemorySize"] == {"Ref": "MemorySize"}
    assert int(memory["Default"]) >= 1769  # one full vCPU
    assert int(memory["MinValue"]) >= 1024
    timeout = props["Timeout"]
    assert 10 <= timeout < 29  # under API Gateway's 29 s integration limit
    for method in resources_of("AWS::ApiGateway::Method").values():
        assert timeout * 1000 < method["Properties"]["Integration"]["TimeoutInMillis"] <= 29000


def test_function_environment_is_what_the_handler_reads() -> None:
    env = resource("ResizerFunction")["Properties"]["Environment"]["Variables"]
    assert env["BUCKET"] == {"Ref": "BucketName"}
    assert resolve(env["PRESETS_S3_KEY"]) == "_config/presets.json"
    cdn_url = env["URL"]["Fn::If"]
    assert cdn_url[0] == "HasAlias"
    assert all(branch["Fn::Sub"].startswith("https://") for branch in cdn_url[1:])


def test_function_keeps_pillows_freed_blocks_as_the_bench_measures() -> None:
    """PILLOW_BLOCKS_MAX reaches Pillow's allocator, and bench/run.py applies the same value."""
    import importlib.util
    import subprocess
    import sys

    value = resource("ResizerFunction")["Properties"]["Environment"]["Variables"][
        "PILLOW_BLOCKS_MAX"
    ]
    probe = "from PIL import Image; print(Image.core.get_blocks_max())"
    env = {"PATH": "/usr/bin:/bin", "PILLOW_BLOCKS_MAX": value}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert int(out.stdout) == int(value) >= 4
    spec = importlib.util.spec_from_file_location("deployed", REPO_ROOT / "bench" / "deployed.py")
    assert spec is not None
    assert spec.loader is not None
    deployed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deployed)
    assert deployed.deployed_pillow_env() == {"PILLOW_BLOCKS_MAX": value}


# --- IAM: least privilege -----------------------------------------------------------------------


def test_no_s3_wildcard_action_or_wildcard_resource() -> None:
    for where, st in iam_statements():
        actions = as_list(st.get("Action", []))
        assert "*" not in actions, where
        assert "s3:*" not in actions, where
        if any(a.startswith("s3:") for a in actions):
            assert "*" not in as_list(st["Resource"]), where
            for arn in as_list(resolve(st["Resource"])):
                assert arn.startswith(BUCKET_ARN), (where, arn)


@pytest.mark.parametrize(
    ("action", "key", "expected"),
    [
        ("s3:GetObject", "originals/2025/01/shoe-ab12.jpg", True),
        ("s3:GetObject", "_config/presets.json", True),
        ("s3:GetObject", "small/originals/2025/01/shoe-ab12.jpg", True),  # existence check
        ("s3:GetObject", "_config/other.json", False),
        ("s3:PutObject", "small/originals/2025/01/shoe-ab12.jpg", True),
        ("s3:PutObject", "large.webp/originals/a.jpg", True),
        ("s3:PutObject", "originals/2025/01/shoe-ab12.jpg", False),
        ("s3:PutObject", "originals/x/originals/y.jpg", False),
        ("s3:PutObject", "_config/presets.json", False),
        ("s3:PutObject", "_config/x/originals/y.jpg", False),
        ("s3:PutObject", "index.html", False),
        ("s3:DeleteObject", "small/originals/a.jpg", False),
    ],
)
def test_function_object_permissions(action: str, key: str, expected: bool) -> None:
    assert allowed(function_statements(), action, f"{BUCKET_ARN}/{key}") is expected


def test_function_may_list_its_bucket_only_so_missing_keys_are_404() -> None:
    statements = function_statements()
    assert allowed(statements, "s3:ListBucket", BUCKET_ARN)
    assert not allowed(statements, "s3:ListBucket", "arn:aws:s3:::other-bucket")


def test_function_logs_only_to_its_own_log_group() -> None:
    group = "arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/image-resizer"
    statements = function_statements()
    assert allowed(statements, "logs:PutLogEvents", f"{group}:log-stream:2025/01/01/x")
    assert not allowed(statements, "logs:PutLogEvents", f"{group}-other:log-stream:x")
    assert not allowed(statements, "logs:CreateLogGroup", group)
    log_group = resource("ResizerLogGroup")["Properties"]
    assert resolve(log_group["LogGroupName"]) == "/aws/lambda/image-resizer"


# --- the bucket ---------------------------------------------------------------------------------


def test_bucket_is_a_website_without_routing_rules() -> None:
    website = resource("ImagesBucket")["Properties"]["WebsiteConfiguration"]
    assert website["IndexDocument"]
    assert "RoutingRules" not in website  # publishing owns them


def test_bucket_policy_grants_the_public_no_listing() -> None:
    for st in public_statements():
        if st["Effect"] == "Allow":
            assert set(as_list(st["Action"])) == {"s3:GetObject"}, st


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("small/originals/2025/01/shoe-ab12.jpg", True),
        ("medium.webp/originals/a.jpg", True),
        ("originals/2025/01/shoe-ab12.jpg", False),
        ("_config/presets.json", False),
        ("_config/anything-else", False),
    ],
)
def test_public_reads_variants_but_never_originals_or_config(key: str, expected: bool) -> None:
    anonymous: dict[str, str] = {}  # no aws:PrincipalAccount
    arn = f"{BUCKET_ARN}/{key}"
    assert allowed(public_statements(), "s3:GetObject", arn, anonymous) is expected
    foreign = {"aws:PrincipalAccount": "999999999999"}
    assert allowed(public_statements(), "s3:GetObject", arn, foreign) is expected


def test_public_access_block_allows_the_policy_but_no_acls() -> None:
    block = resource("ImagesBucket")["Properties"]["PublicAccessBlockConfiguration"]
    assert block["BlockPublicAcls"] is True
    assert block["IgnorePublicAcls"] is True
    assert block["BlockPublicPolicy"] is False
    assert block["RestrictPublicBuckets"] is False


def test_no_reference_cycle_through_the_bucket() -> None:
    # The function and its role name the bucket by the parameter, not the bucket resource, and
    # the bucket names nothing of the API or the function.
    assert "ImagesBucket" not in str(resource("ResizerFunction"))
    assert "ImagesBucket" not in str(resource("ResizerRole"))
    bucket = str(resource("ImagesBucket"))
    assert "ResizeApi" not in bucket
    assert "ResizerFunction" not in bucket


# --- CloudFront ---------------------------------------------------------------------------------


def test_cloudfront_origin_is_the_website_endpoint_over_http() -> None:
    config = resource("Distribution")["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert "S3OriginConfig" not in origin
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "http-only"
    domain = origin["DomainName"]
    assert domain == {
        "Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["ImagesBucket", "WebsiteURL"]}]}]
    }
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["TargetOriginId"] == origin["Id"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["CachePolicyId"] == {"Ref": "VariantsCachePolicy"}


def test_cache_policy_does_not_cache_responses_without_cache_control() -> None:
    policy = resource("VariantsCachePolicy")["Properties"]["CachePolicyConfig"]
    assert policy["DefaultTTL"] == 0
    assert policy["MinTTL"] == 0
    assert policy["MaxTTL"] >= 31536000  # variants' own Cache-Control: a year
    params = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert params["QueryStringsConfig"]["QueryStringBehavior"] == "none"


def test_alias_and_certificate_are_optional_parameters() -> None:
    params = template()["Parameters"]
    assert params["CdnDomainName"]["Default"] == ""
    assert params["CertificateArn"]["Default"] == ""
    assert "us-east-1" in params["CertificateArn"]["AllowedPattern"]
    config = resource("Distribution")["Properties"]["DistributionConfig"]
    assert config["Aliases"]["Fn::If"][0] == "HasAlias"
    assert config["ViewerCertificate"]["Fn::If"][0] == "HasAlias"
    assert "CertificateForAlias" in template()["Rules"]


# --- API Gateway --------------------------------------------------------------------------------


def test_api_stage_default_get_resize_with_key_and_lambda_proxy() -> None:
    assert resource("ResizeStage")["Properties"]["StageName"] == "default"
    assert resource("ResizeResource")["Properties"]["PathPart"] == "resize"
    get = resource("ResizeGet")["Properties"]
    assert get["HttpMethod"] == "GET"
    assert get["RequestParameters"] == {"method.request.querystring.key": True}
    assert get["Integration"]["Type"] == "AWS_PROXY"
    assert get["Integration"]["IntegrationHttpMethod"] == "POST"
    permission = resource("ApiInvokesResizer")["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert "/default/*/resize" in permission["SourceArn"]["Fn::Sub"]


# --- outputs ------------------------------------------------------------------------------------


def test_outputs_name_every_setting_imageadmin_needs(settings: Any) -> None:
    named = {o["Description"].split()[0] for o in template()["Outputs"].values()}
    assert named >= SETTINGS_FROM_OUTPUTS
    for name in named:
        if name.startswith("IMAGEADMIN_"):
            assert name in DEFAULTS, name
    # Ref of a stage is its name: the output reads default/resize, the settings' default.
    api_path = template()["Outputs"]["ApiPath"]["Value"]["Fn::Sub"]
    stage = resource("ResizeStage")["Properties"]["StageName"]
    assert api_path.replace("${ResizeStage}", stage) == settings.IMAGEADMIN_API_PATH


# --- cost bounds --------------------------------------------------------------------------------


def test_reserved_concurrency_and_api_throttling_bound_the_cost() -> None:
    params = template()["Parameters"]
    props = resource("ResizerFunction")["Properties"]
    assert props["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
    assert 1 <= int(params["ReservedConcurrency"]["Default"]) <= 100
    assert int(params["ReservedConcurrency"]["MinValue"]) >= 1  # 0 would disable the function
    (settings,) = resource("ResizeStage")["Properties"]["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    assert settings["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ApiBurstLimit"}


def test_custom_domain_gets_tls_1_2_at_least() -> None:
    config = resource("Distribution")["Properties"]["DistributionConfig"]
    _, with_alias, without = config["ViewerCertificate"]["Fn::If"]
    assert with_alias["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert with_alias["SslSupportMethod"] == "sni-only"
    assert without == {"CloudFrontDefaultCertificate": True}


# --- logs, metrics, alarms, dashboard -----------------------------------------------------------

API_NAME = "cdn-resize"  # the RestApi's Name with AWS::StackName = cdn


def sub(value: Any, **names: str) -> str:
    """Resolve a Fn::Sub string against PARAMS, `names` and fixed stand-ins for resources."""
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    refs = {**PARAMS, "ResizeStage": "default", "ResizerFunction": "image-resizer", **names}
    return re.sub(r"\$\{([^}!]+)\}", lambda m: refs.get(m.group(1), f"<{m.group(1)}>"), text)


def test_log_groups_expire() -> None:
    for name, group in resources_of("AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_api_access_log_is_json_with_the_lambda_request_id() -> None:
    stage = resource("ResizeStage")
    setting = stage["Properties"]["AccessLogSetting"]
    destination = sub(setting["DestinationArn"], ApiAccessLogGroup="/aws/apigateway/cdn-resize")
    assert destination.endswith(":log-group:/aws/apigateway/cdn-resize")
    # API Gateway substitutes $context variables; unquoted ones are numbers.
    line = re.sub(r"\$context\.[A-Za-z.]+", "1", setting["Format"])
    fields = json.loads(line)
    assert {"requestId", "ip", "status", "lambdaRequestId"} <= set(fields)
    assert "$context.integration.requestId" in setting["Format"]
    assert stage["DependsOn"] == "ApiGatewayAccount"  # the region's logging role comes first
    account = resource("ApiGatewayAccount")
    assert account["DeletionPolicy"] == "Retain"  # other APIs may log through it
    assert resource("ApiGatewayLogsRole")["DeletionPolicy"] == "Retain"


def test_function_publishes_its_metrics_in_the_namespace_the_dashboard_reads() -> None:
    env = resource("ResizerFunction")["Properties"]["Environment"]["Variables"]
    assert sub(env["METRICS_NAMESPACE"]) == "imageadmin/image-resizer"


def alarms() -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in resources_of("AWS::CloudWatch::Alarm").items()}


def alarm_metrics(props: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the metrics an alarm reads (plain or inside its metric math)."""
    if "Metrics" in props:
        return [q["MetricStat"]["Metric"] for q in props["Metrics"] if "MetricStat" in q]
    keys = ("Namespace", "MetricName", "Dimensions")
    return [{key: props[key] for key in keys}]


def test_alarms_notify_the_topic_and_ignore_quiet_periods() -> None:
    found = alarms()
    assert set(found) == {
        "ApiErrorRateAlarm",
        "ApiClientErrorsAlarm",
        "FunctionThrottlesAlarm",
        "FunctionDurationAlarm",
        "EventsDeadLetterAlarm",
        "EventsBacklogAlarm",
    }
    for name, props in found.items():
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["TreatMissingData"] == "notBreaching", name
    subscription = resource("AlarmEmailSubscription")
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_api_alarms_watch_this_api_and_stage() -> None:
    api_name = sub(resource("ResizeApi")["Properties"]["Name"])
    assert api_name == API_NAME
    for name, props in alarms().items():
        for metric in alarm_metrics(props):
            if metric["Namespace"] != "AWS/ApiGateway":
                continue
            dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            assert sub(dims["ApiName"]) == API_NAME, name
            assert dims["Stage"] == {"Ref": "ResizeStage"}, name


def test_error_rate_alarm_is_5xx_over_requests() -> None:
    props = alarms()["ApiErrorRateAlarm"]
    names = {q["Id"]: q["MetricStat"]["Metric"]["MetricName"] for q in props["Metrics"][:2]}
    assert names == {"errors": "5XXError", "requests": "Count"}
    (expression,) = [q for q in props["Metrics"] if q.get("ReturnData")]
    assert "errors / requests" in expression["Expression"]


def test_duration_alarm_fires_at_80_percent_of_the_timeout() -> None:
    timeout_ms = resource("ResizerFunction")["Properties"]["Timeout"] * 1000
    props = alarms()["FunctionDurationAlarm"]
    assert props["MetricName"] == "Duration"
    assert props["ExtendedStatistic"] == "p99"
    assert props["Threshold"] == 0.8 * timeout_ms
    throttles = alarms()["FunctionThrottlesAlarm"]
    assert (throttles["MetricName"], throttles["Threshold"]) == ("Throttles", 0)


def dashboard() -> dict[str, Any]:
    body = resource("Dashboard")["Properties"]["DashboardBody"]
    arns = {f"{name}.Arn": f"arn:aws:cloudwatch:eu-central-1:123:alarm:{name}" for name in alarms()}
    resolved = sub(body, ReservedConcurrency="50", **arns)
    assert "<" not in resolved, "a ${...} that names no parameter, resource or alarm"
    return json.loads(resolved)  # type: ignore[no-any-return]


def test_dashboard_shows_only_metrics_the_function_emits() -> None:
    namespace = "imageadmin/image-resizer"
    emitted = set(resizer_metrics.UNITS)
    shown: set[str] = set()
    for widget in dashboard()["widgets"]:
        for line in widget["properties"].get("metrics", []):
            first = line[0]
            if isinstance(first, dict):  # a SEARCH expression over the Preset dimension
                match = re.search(r"\{([^,]+),Preset\} MetricName=\"(\w+)\"", first["expression"])
                assert match, first
                assert match.group(1) == namespace
                assert match.group(2) in resizer_metrics.PER_PRESET
                shown.add(match.group(2))
            elif first == namespace:
                assert line[1] in emitted, line
                shown.add(line[1])
    stages = {f"{s.capitalize()}Ms" for s in resizer_metrics.STAGES}
    assert shown >= stages | {"BytesIn", "BytesOut", "Renders"}


def test_dashboard_marks_the_timeout_alarm_and_reservation() -> None:
    timeout_ms = resource("ResizerFunction")["Properties"]["Timeout"] * 1000
    annotations = [
        a
        for widget in dashboard()["widgets"]
        for a in widget["properties"].get("annotations", {}).get("horizontal", [])
    ]
    values = {a["label"]: a["value"] for a in annotations}
    assert values["timeout"] == timeout_ms
    assert values["duration alarm"] == alarms()["FunctionDurationAlarm"]["Threshold"]
    assert values["reserved concurrency"] == 50
    (alarm_widget,) = [w for w in dashboard()["widgets"] if w["type"] == "alarm"]
    assert len(alarm_widget["properties"]["alarms"]) == len(alarms())
