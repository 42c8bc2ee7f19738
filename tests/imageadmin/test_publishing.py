"""Publishing against moto's server: S3 configuration, purges, CloudFront, failures, drift."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from imageadmin import aws, publishing, storage
from imageadmin.models import Preset, Publication, PublicationStatus, Variant, VariantStatus
from imageadmin.publishing import bucket
from resizer_lambda import presets as contract
from tests.imageadmin.conftest import use_bucket
from tests.imageadmin.originals import S3Calls, keys_in
from tests.imageadmin.publish_data import (
    API_HOST,
    create_distribution,
    invalidated_paths,
    is_write,
    put_variants,
    variant_rows,
)
from tests.imageadmin.versioned import head

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("publishing_aws")]

NAMES = ["small", "medium", "large", "xlarge"]
EXPECTED_RULES = [
    {
        "Condition": {"HttpErrorCodeReturnedEquals": code, "KeyPrefixEquals": name},
        "Redirect": {
            "HostName": API_HOST,
            "HttpRedirectCode": "307",
            "Protocol": "https",
            "ReplaceKeyPrefixWith": f"default/resize?key={name}",
        },
    }
    for name in NAMES
    for code in ("403", "404")
]
EXPECTED_LIFECYCLE = [
    {
        "Expiration": {"Days": 30},
        "ID": f"imageadmin-{rule}",
        "Filter": {"Prefix": prefix},
        "Status": "Enabled",
    }
    for name in NAMES
    for rule, prefix in ((name, f"{name}/"), (f"{name}-fmt", f"{name}."))
]
ORIGINALS = ["originals/2026/11/pier.jpg", "originals/2026/11/red shoe+1.jpg"]


@pytest.fixture
def distribution(settings: Any, s3_endpoint: str, s3_bucket: str) -> str:
    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = create_distribution(s3_endpoint, s3_bucket)
    return str(settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID)


def outcomes(pub: Publication) -> dict[str, str]:
    return {s["name"]: s["outcome"] for s in pub.steps}


def step(pub: Publication, name: str) -> dict[str, Any]:
    return next(s for s in pub.steps if s["name"] == name)


def deactivate(name: str) -> None:
    """Take a preset out of publishing: its variants are purged at the next publication."""
    Preset.objects.filter(name=name).update(active=False)


def set_width(name: str, width: int) -> None:
    preset = Preset.objects.get(name=name)
    preset.width = width
    preset.save()


# --- what a publication writes --------------------------------------------------------------------


def test_publish_writes_routing_lifecycle_and_a_private_presets_json(
    s3_client: Any, s3_bucket: str
) -> None:
    pub = publishing.publish()

    assert pub.status == PublicationStatus.SUCCEEDED, pub.error
    website = s3_client.get_bucket_website(Bucket=s3_bucket)
    assert website["IndexDocument"] == {"Suffix": "index.html"}
    assert website["RoutingRules"] == EXPECTED_RULES
    assert len(website["RoutingRules"]) == 8
    lifecycle = s3_client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)
    assert lifecycle["Rules"] == EXPECTED_LIFECYCLE
    obj = s3_client.get_object(Bucket=s3_bucket, Key="_config/presets.json")
    config = contract.loads(obj["Body"].read())
    assert [p.name for p in config.presets] == NAMES
    assert (obj["CacheControl"], obj["ContentType"]) == ("no-store", "application/json")
    grants = s3_client.get_object_acl(Bucket=s3_bucket, Key="_config/presets.json")["Grants"]
    assert not [g for g in grants if "AllUsers" in str(g["Grantee"].get("URI", ""))]
    assert pub.snapshot == config.to_dict()
    ok = ["presets_json", "website", "lifecycle"]
    assert [n for n, o in outcomes(pub).items() if o == "ok"] == ["read", *ok]
    assert all(step(pub, n)["request_ids"] for n in ok)


def test_lifecycle_merges_with_foreign_rules_and_uses_expire_days(
    s3_client: Any, s3_bucket: str, settings: Any
) -> None:
    foreign = {"ID": "tmp-uploads", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
               "Expiration": {"Days": 1}}  # fmt: skip
    s3_client.put_bucket_lifecycle_configuration(
        Bucket=s3_bucket, LifecycleConfiguration={"Rules": [foreign]}
    )
    Preset.objects.filter(name="medium").update(expire_days=7)
    settings.IMAGEADMIN_VARIANT_EXPIRE_DAYS = 60

    publishing.publish()

    rules = s3_client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"]
    assert rules[0] == foreign
    days = {r["ID"]: r["Expiration"]["Days"] for r in rules[1:]}
    assert days == {
        **{f"imageadmin-{n}{s}": 60 for n in NAMES for s in ("", "-fmt")},
        "imageadmin-medium": 7,
        "imageadmin-medium-fmt": 7,
    }
    prefixes = [r["Filter"]["Prefix"] for r in rules[1:]]
    assert not [p for p in prefixes if "originals/".startswith(p) or "_config/".startswith(p)]


def test_api_protocol_and_path_come_from_settings(
    s3_client: Any, s3_bucket: str, settings: Any
) -> None:
    settings.IMAGEADMIN_API_PROTOCOL = "http"
    settings.IMAGEADMIN_API_HOST = "127.0.0.1:8080"
    settings.IMAGEADMIN_API_PATH = "/local/resize/"

    publishing.publish()

    rule = s3_client.get_bucket_website(Bucket=s3_bucket)["RoutingRules"][0]["Redirect"]
    assert (rule["Protocol"], rule["HostName"]) == ("http", "127.0.0.1:8080")
    assert rule["ReplaceKeyPrefixWith"] == "local/resize?key=small"


# --- purging what changed -------------------------------------------------------------------------


def test_a_changed_preset_gets_new_urls_and_its_old_objects_expire(
    s3_client: Any, s3_bucket: str, s3_endpoint: str, distribution: str
) -> None:
    Preset.objects.create(name="mediumish", width=320, position=9)
    publishing.publish()
    old_token = head("medium").split(".")[1]
    medium_keys = put_variants(s3_client, s3_bucket, "medium", ORIGINALS)
    kept = put_variants(s3_client, s3_bucket, "small", ORIGINALS)
    kept += put_variants(s3_client, s3_bucket, "mediumish", ORIGINALS)
    variant_rows(Preset.objects.get(name="medium"), ORIGINALS)
    variant_rows(Preset.objects.get(name="small"), ORIGINALS)
    set_width("medium", 240)

    plan = publishing.build_plan()
    assert plan.purges == []
    [new] = plan.new_urls
    assert (new.change.name, new.old_token, new.rows) == ("medium", old_token, 2)
    assert new.new_token != old_token
    assert "width 300 → 240" in new.change.reason()
    pub = publishing.publish()

    assert pub.status == PublicationStatus.SUCCEEDED, pub.error
    # Nothing is purged or invalidated: old URLs redirect, old objects expire.
    assert set(medium_keys + kept) <= keys_in(s3_client, s3_bucket)
    assert invalidated_paths(s3_endpoint, distribution) == []
    assert (outcomes(pub)["purge"], outcomes(pub)["invalidate"]) == ("skipped", "skipped")
    assert outcomes(pub)["website"] == "unchanged"  # same names, same rules
    assert pub.changes["new_urls"][0]["new_token"] == head("medium").split(".")[1]
    rules = s3_client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"]
    assert {
        "Expiration": {"Days": 30},
        "ID": f"imageadmin-retired-medium-{old_token}",
        "Filter": {"Prefix": f"medium.{old_token}"},
        "Status": "Enabled",
    } in rules
    # The figures count the old token's rows as stale; other presets' rows stay ready.
    statuses = dict(Variant.objects.values_list("preset__name", "status").distinct())
    assert statuses == {"medium": VariantStatus.STALE, "small": VariantStatus.READY}

    # Publishing again keeps the rule while the old objects may still be there.
    again = publishing.publish()
    assert outcomes(again)["lifecycle"] == "unchanged"


def test_a_retired_tokens_rule_goes_after_its_days(
    s3_client: Any, s3_bucket: str, settings: Any
) -> None:
    settings.IMAGEADMIN_RETIRED_VARIANT_DAYS = 3
    publishing.publish()
    old_token = head("small").split(".")[1]
    set_width("small", 100)
    publishing.publish()
    rule_id = f"imageadmin-retired-small-{old_token}"
    rules = s3_client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"]
    assert [r["Expiration"]["Days"] for r in rules if r["ID"] == rule_id] == [3]

    # Five days (3 + 2) later, the next publication drops the rule.
    Publication.objects.update(created_at=timezone.now() - timedelta(days=6))
    pub = publishing.publish()
    assert outcomes(pub)["lifecycle"] == "ok"
    rules = s3_client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"]
    assert rule_id not in [r["ID"] for r in rules]


def test_renamed_and_deleted_presets_are_purged_under_their_old_names(
    s3_client: Any, s3_bucket: str, s3_endpoint: str, distribution: str
) -> None:
    publishing.publish()
    put_variants(s3_client, s3_bucket, "large", ORIGINALS[:1])
    large = head("large")
    Preset.objects.filter(name="large").update(name="big")
    Preset.objects.filter(name="xlarge").delete()  # its purge job already ran: nothing left

    pub = publishing.publish()

    assert pub.status == PublicationStatus.SUCCEEDED, pub.error
    assert keys_in(s3_client, s3_bucket, "large") == set()
    assert invalidated_paths(s3_endpoint, distribution) == [
        [
            f"/{large}.webp/originals/2026/11/pier.jpg",
            f"/{large}/originals/2026/11/pier.jpg",
            "/xlarge.*",
            "/xlarge/*",
        ]
    ]
    website = s3_client.get_bucket_website(Bucket=s3_bucket)
    assert {r["Condition"]["KeyPrefixEquals"] for r in website["RoutingRules"]} == {
        "small", "medium", "big"}  # fmt: skip


def test_without_a_distribution_the_invalidation_is_skipped_with_a_note(
    s3_client: Any, s3_bucket: str
) -> None:
    publishing.publish()
    put_variants(s3_client, s3_bucket, "small", ORIGINALS[:1])
    deactivate("small")  # no longer published: purged

    pub = publishing.publish()

    assert pub.status == PublicationStatus.SUCCEEDED
    assert outcomes(pub)["invalidate"] == "skipped"
    assert "IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID is empty" in step(pub, "invalidate")["detail"]
    assert any("DISTRIBUTION_ID" in note for note in pub.changes["notes"])


def test_the_purge_waits_for_the_lambdas_presets_cache(
    s3_client: Any, s3_bucket: str, settings: Any
) -> None:
    settings.IMAGEADMIN_PUBLISH_SETTLE_SECONDS = 90
    slept: list[float] = []
    publishing.publish(sleep=slept.append)
    assert slept == []  # nothing to purge: no wait
    put_variants(s3_client, s3_bucket, "small", ORIGINALS[:1])
    deactivate("small")

    pub = publishing.publish(sleep=slept.append)

    assert len(slept) == 1
    assert 85 < slept[0] <= 90
    assert outcomes(pub)["settle"] == "ok"
    assert keys_in(s3_client, s3_bucket, "small") == set()


# --- dry runs, second runs, drift -----------------------------------------------------------------


def test_dry_run_writes_nothing_and_is_recorded(
    s3_client: Any, s3_bucket: str, monkeypatch: pytest.MonkeyPatch, distribution: str
) -> None:
    publishing.publish()
    put_variants(s3_client, s3_bucket, "small", ORIGINALS[:1])
    deactivate("small")
    before = keys_in(s3_client, s3_bucket)
    calls = S3Calls(monkeypatch)

    pub = publishing.publish(dry_run=True)

    assert pub.status == PublicationStatus.DRY_RUN
    assert calls.operations
    assert not [op for op in calls.operations if is_write(op)]
    assert keys_in(s3_client, s3_bucket) == before
    assert outcomes(pub)["presets_json"] == outcomes(pub)["purge"] == "dry_run"
    assert pub.changes["purge"][0]["preset"] == "small"
    assert publishing.build_plan().purges  # a dry run is never the baseline


def test_publishing_twice_writes_nothing_the_second_time(
    s3_client: Any, s3_bucket: str, monkeypatch: pytest.MonkeyPatch, distribution: str
) -> None:
    publishing.publish()
    put_variants(s3_client, s3_bucket, "small", ORIGINALS[:1])
    set_width("small", 100)
    first = publishing.publish()
    calls = S3Calls(monkeypatch)

    second = publishing.publish()

    assert first.status == second.status == PublicationStatus.SUCCEEDED
    assert not [op for op in calls.operations if is_write(op)], calls.operations
    assert set(outcomes(second).values()) <= {"ok", "unchanged", "skipped"}
    assert outcomes(second)["read"] == "ok"
    assert {outcomes(second)[n] for n in ("presets_json", "website", "lifecycle")} == {"unchanged"}


def test_drift_made_by_hand_is_reported_and_fixed(s3_client: Any, s3_bucket: str) -> None:
    publishing.publish()
    website = s3_client.get_bucket_website(Bucket=s3_bucket)
    website.pop("ResponseMetadata")
    website["RoutingRules"][0]["Redirect"]["HostName"] = "evil.example.com"
    s3_client.put_bucket_website(Bucket=s3_bucket, WebsiteConfiguration=website)
    s3_client.delete_bucket_lifecycle(Bucket=s3_bucket)

    plan = publishing.build_plan()

    site, life = plan.step("website"), plan.step("lifecycle")
    assert [(i.action, i.item) for i in site.items] == [("change", "routing rule small on 403")]
    assert "evil.example.com" in site.items[0].before
    assert API_HOST in site.items[0].after
    assert '-        "HostName": "evil.example.com"' in site.diff
    assert life.live is None
    assert len(life.items) == 8
    assert {i.action for i in life.items} == {"add"}
    assert not plan.step("presets_json").changed

    pub = publishing.publish()

    assert outcomes(pub)["website"] == outcomes(pub)["lifecycle"] == "ok"
    assert outcomes(pub)["presets_json"] == "unchanged"
    assert not publishing.build_plan().changes_anything
    assert s3_client.get_bucket_website(Bucket=s3_bucket)["RoutingRules"] == EXPECTED_RULES


def test_a_hand_edited_presets_json_is_drift_too(s3_client: Any, s3_bucket: str) -> None:
    publishing.publish()
    config = json.loads(
        s3_client.get_object(Bucket=s3_bucket, Key="_config/presets.json")["Body"].read()
    )
    config["presets"][0]["width"] = 999
    s3_client.put_object(Bucket=s3_bucket, Key="_config/presets.json", Body=json.dumps(config))

    items = publishing.build_plan().step("presets_json").items

    assert [i.line() for i in items] == [
        "~ preset small: width 999 -> width 150",
        "~ Cache-Control header:  -> no-store",
    ]


# --- failures -------------------------------------------------------------------------------------


def test_a_failed_invalidation_is_recorded_and_a_rerun_converges(
    s3_client: Any, s3_bucket: str, s3_endpoint: str, settings: Any
) -> None:
    publishing.publish()
    medium_keys = put_variants(s3_client, s3_bucket, "medium", ORIGINALS[:1])
    deactivate("medium")
    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = "ENOSUCHDIST"

    failed = publishing.publish()

    assert failed.status == PublicationStatus.FAILED
    assert failed.failed_step == "invalidate"
    assert "NoSuchDistribution" in failed.error
    assert outcomes(failed) == {"read": "ok", "presets_json": "ok", "website": "ok",
                                "lifecycle": "ok", "settle": "skipped", "purge": "ok",
                                "invalidate": "failed"}  # fmt: skip
    assert step(failed, "invalidate")["request_ids"]
    assert keys_in(s3_client, s3_bucket, "medium") == set()

    dist = create_distribution(s3_endpoint, s3_bucket)
    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = dist
    rerun = publishing.publish()

    assert rerun.status == PublicationStatus.SUCCEEDED, rerun.error
    assert outcomes(rerun)["presets_json"] == "unchanged"
    # Nothing left to delete, but the paths the failed run deleted are invalidated now (and
    # the gone preset's wildcards, since this run found none of its objects left).
    exact = ["/" + k.replace(" ", "%20").replace("+", "%2B") for k in medium_keys]
    assert invalidated_paths(s3_endpoint, dist) == [sorted([*exact, "/medium.*", "/medium/*"])]
    assert publishing.build_plan().pending_paths == []


def test_a_failure_half_way_stops_before_the_purge_and_a_rerun_finishes(
    s3_client: Any, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publishing.publish()
    small_keys = put_variants(s3_client, s3_bucket, "small", ORIGINALS)
    deactivate("small")
    Preset.objects.filter(name="large").update(expire_days=3)
    client = storage.client()

    def refuse(**kwargs: Any) -> Any:
        error = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"},
                 "ResponseMetadata": {"RequestId": "REQ123"}}  # fmt: skip
        raise ClientError(error, "PutBucketLifecycleConfiguration")

    monkeypatch.setattr(client, "put_bucket_lifecycle_configuration", refuse)
    failed = publishing.publish()

    assert (failed.status, failed.failed_step) == (PublicationStatus.FAILED, "lifecycle")
    assert "AccessDenied" in failed.error
    assert step(failed, "lifecycle")["request_ids"] == ["REQ123"]
    assert outcomes(failed)["presets_json"] == "ok"
    assert [outcomes(failed)[n] for n in ("settle", "purge", "invalidate")] == ["not_run"] * 3
    assert set(small_keys) <= keys_in(s3_client, s3_bucket)

    monkeypatch.undo()
    rerun = publishing.publish()

    assert rerun.status == PublicationStatus.SUCCEEDED, rerun.error
    assert outcomes(rerun)["presets_json"] == "unchanged"  # the failed run wrote it
    assert outcomes(rerun)["lifecycle"] == "ok"
    assert keys_in(s3_client, s3_bucket, "small") == set()
    assert step(rerun, "purge")["data"]["deleted"] == {"small": 4}


def test_unreadable_aws_fails_the_read_step(settings: Any) -> None:
    use_bucket(settings, "no-such-bucket-here")

    pub = publishing.publish()

    assert (pub.status, pub.failed_step) == (PublicationStatus.FAILED, "read")
    assert "NoSuchBucket" in pub.error


def test_invalid_presets_fail_before_anything_is_written(s3_client: Any, s3_bucket: str) -> None:
    Preset.objects.update(active=False)

    pub = publishing.publish()

    assert (pub.status, pub.failed_step) == (PublicationStatus.FAILED, "read")
    assert keys_in(s3_client, s3_bucket) == set()


def test_only_one_publication_runs_at_a_time() -> None:
    running = publishing.start()

    with pytest.raises(publishing.PublishInProgress):
        publishing.start()
    assert publishing.start(dry_run=True).dry_run  # a dry run writes nothing: allowed

    Publication.objects.filter(pk=running.pk).update(
        created_at=running.created_at - timedelta(hours=1)
    )
    assert publishing.start().status == PublicationStatus.RUNNING
    running.refresh_from_db()
    assert running.status == PublicationStatus.FAILED
    assert "interrupted" in running.error


def test_the_task_runs_a_started_publication_once() -> None:
    pub = publishing.start(via="admin")

    assert publishing.run_started(pub.pk) == PublicationStatus.SUCCEEDED
    assert publishing.run_started(pub.pk) == PublicationStatus.SUCCEEDED  # delivered twice
    assert Publication.objects.count() == 1
    assert publishing.run_started(10_000) == "missing"


# --- the AWS boundary -----------------------------------------------------------------------------


def test_absent_configurations_read_as_none(s3_bucket: str) -> None:
    assert bucket.read_website().value is None
    assert bucket.read_lifecycle().value is None
    assert bucket.read_config("_config/presets.json").value is None


def test_other_errors_are_translated_with_the_request_id(settings: Any) -> None:
    use_bucket(settings, "no-such-bucket-here")

    with pytest.raises(aws.AwsError) as caught:
        bucket.read_website()

    assert caught.value.code == "NoSuchBucket"
    assert caught.value.request_id
    assert str(caught.value).startswith("GetBucketWebsite failed: NoSuchBucket")
