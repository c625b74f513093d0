"""CloudflareHosting beyond the shared contract (test_hosting_contract.py): lost answers and
retries, DNS records made once and edited in place, the direct-upload protocol, retryable and
permanent errors, and the token kept out of logs and errors. Real SDK, local fake server."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from temporalio.exceptions import ApplicationError

from sitegen.activities.support import classify
from sitegen.integrations.hosting import SubdomainTaken
from sitegen.integrations.hosting.cloudflare_errors import CloudflareRejected, CloudflareUnavailable
from sitegen.integrations.hosting.cloudflare_hosting import CloudflareHosting
from sitegen.integrations.providers import make_hosting
from sitegen.settings import Settings
from tests.fakes.cloudflare import FakeCloudflare, running_fake
from tests.integrations.hosting_adapters import CF_ADDRESSES, cloudflare_hosting, make_build

PREVIEW = CF_ADDRESSES.preview_host("bakery")


@pytest.fixture
def fake() -> Iterator[FakeCloudflare]:
    with running_fake() as fake:
        yield fake


@pytest.fixture
def hosting(fake: FakeCloudflare) -> CloudflareHosting:
    return cloudflare_hosting(fake)


def records_named(fake: FakeCloudflare, name: str) -> list[str]:
    return [r.id for r in fake.state.records.values() if r.name == name]


async def test_a_deploy_whose_answer_was_lost_is_found_not_repeated(
    fake: FakeCloudflare, hosting: CloudflareHosting, tmp_path: Path
) -> None:
    await hosting.ensure_subdomain("acme", "bakery")
    fake.drop("POST", r"/pages/projects/acme/deployments$")
    with pytest.raises(CloudflareUnavailable) as lost:
        await hosting.deploy("acme", make_build(tmp_path / "b", "Acme"), "wf-1:deploy:r0")
    assert not lost.value.non_retryable
    assert len(fake.state.deployments["acme"]) == 1  # made, but the worker never heard
    assert await hosting.current("acme") is None
    retried = await hosting.deploy("acme", tmp_path / "b", "wf-1:deploy:r0")
    assert retried.created  # this attempt finished the deploy: it made the preview serve it
    assert [d.id for d in fake.state.deployments["acme"]] == [retried.deploy_id]
    assert fake.count("POST", r"/deployments$") == 1
    assert await hosting.current("acme") == retried.deploy_id
    assert not (await hosting.deploy("acme", tmp_path / "b", "wf-1:deploy:r0")).created


async def test_lost_answers_on_project_record_and_domain_creates(
    fake: FakeCloudflare, hosting: CloudflareHosting
) -> None:
    for pattern in [r"/pages/projects$", r"/dns_records$", r"/domains$"]:
        fake.drop("POST", pattern)
        with pytest.raises(CloudflareUnavailable):
            await hosting.ensure_subdomain("acme", "bakery")
    assert (await hosting.ensure_subdomain("acme", "bakery")).created is False
    assert list(fake.state.projects) == ["acme"]
    assert len(records_named(fake, PREVIEW)) == 1
    assert list(fake.state.domains["acme"]) == [PREVIEW]


async def test_dns_record_made_once_and_edited_in_place(
    fake: FakeCloudflare, hosting: CloudflareHosting, tmp_path: Path
) -> None:
    await hosting.ensure_subdomain("acme", "bakery")
    [record_id] = records_named(fake, PREVIEW)
    record = fake.state.records[record_id]
    assert record.type == "CNAME" and record.proxied and record.content == "acme.pages.dev"
    for n in range(3):
        d = await hosting.deploy("acme", make_build(tmp_path / f"b{n}", f"v{n}"), f"k{n}")
        assert records_named(fake, PREVIEW) == [record_id]
        assert record.content == f"{d.deploy_id[:8]}.acme.pages.dev"
    edits = fake.count("PATCH", record_id)
    assert edits == 3
    await hosting.ensure_subdomain("acme", "bakery")  # already right: no edit
    assert fake.count("PATCH", record_id) == edits
    # A create that loses a race (the record appeared since the lookup) returns the winner's.
    again = await hosting.zone.create(PREVIEW, "CNAME", "x.acme.pages.dev", "sitegen:acme:preview")
    assert again.id == record_id and records_named(fake, PREVIEW) == [record_id]


async def test_direct_upload_sends_only_missing_files(
    fake: FakeCloudflare, hosting: CloudflareHosting, tmp_path: Path
) -> None:
    fake.per_page = 1  # the retry below finds its deployment on a later page
    src = make_build(tmp_path / "b", "Acme")
    (src / "_headers").write_text("/*\n  X-Frame-Options: DENY\n")
    first = await hosting.deploy("acme", src, "k1")
    assert fake.count("POST", r"/pages/assets/upload$") == 1
    deployment = fake.state.deployment("acme", first.deploy_id)
    assert sorted(deployment.manifest) == [
        "/404.html", "/about/index.html", "/index.html", "/logo.png", "/style.css",
    ]  # fmt: skip
    assert deployment.config == {"_headers": b"/*\n  X-Frame-Options: DENY\n"}
    assert deployment.branch == "preview" and first.url.endswith(".acme.pages.dev/")
    second = await hosting.deploy("acme", src, "k2")  # same files, new deploy
    assert second.created and second.deploy_id != first.deploy_id
    assert fake.count("POST", r"/pages/assets/upload$") == 1  # nothing was missing
    await hosting.deploy("acme", make_build(tmp_path / "c", "C"), "k3")
    assert not (await hosting.deploy("acme", src, "k1")).created
    assert len(fake.state.deployments["acme"]) == 3


async def test_rate_limits_and_outages_are_retryable(
    fake: FakeCloudflare, hosting: CloudflareHosting, tmp_path: Path
) -> None:
    fake.fail("GET", r"/pages/projects/acme$", status=429, retry_after="7")
    with pytest.raises(CloudflareUnavailable) as limited:
        await hosting.deploy("acme", make_build(tmp_path / "b", "Acme"), "k1")
    assert limited.value.next_retry_delay == datetime.timedelta(seconds=7)
    assert classify(limited.value) is limited.value  # Temporal gets it as it is: retryable
    fake.fail("POST", r"/dns_records$", status=503)
    with pytest.raises(CloudflareUnavailable) as down:
        await hosting.ensure_subdomain("acme", "bakery")
    assert down.value.next_retry_delay is None and not down.value.non_retryable
    fake.fail("POST", r"/pages/assets/check-missing$", status=401)  # upload JWT expired
    with pytest.raises(CloudflareUnavailable):
        await hosting.deploy("acme", tmp_path / "b", "k1")
    fake.fail("POST", r"/pages/assets/upload$", status=502)
    with pytest.raises(CloudflareUnavailable):
        await hosting.deploy("acme", tmp_path / "b", "k1")
    assert (await hosting.deploy("acme", tmp_path / "b", "k1")).created


@pytest.mark.parametrize(
    ("override", "setting"),
    [
        ({"token": "wrong-token-0000"}, "SITEGEN_CLOUDFLARE_API_TOKEN"),
        ({"account_id": "nope"}, "SITEGEN_CLOUDFLARE_ACCOUNT_ID"),
        ({"zone_id": "nope"}, "SITEGEN_CLOUDFLARE_ZONE_ID"),
    ],
)
async def test_bad_credentials_are_permanent_and_name_the_setting(
    fake: FakeCloudflare, override: dict[str, str], setting: str
) -> None:
    hosting = cloudflare_hosting(fake, **override)
    with pytest.raises(CloudflareRejected) as refused:
        await hosting.ensure_subdomain("acme", "bakery")
    error = refused.value
    assert isinstance(error, ApplicationError) and error.non_retryable
    assert setting in str(error) and classify(error) is error
    assert fake.state.token not in str(error) and "wrong-token" not in str(error)
    assert error.__cause__ is None


async def test_token_and_upload_jwt_never_in_logs_or_errors(
    fake: FakeCloudflare, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)  # the SDK's and httpx's debug logs included
    hosting = cloudflare_hosting(fake)
    errors: list[str] = []
    with structlog.testing.capture_logs() as events:
        d = await hosting.deploy("acme", make_build(tmp_path / "b", "Acme"), "k1")
        await hosting.pin_version("acme", "bakery", 1, d.deploy_id)
        fake.fail("POST", r"/pages/assets/check-missing$", status=500)
        fake.fail("GET", r"/deployments$", status=429, retry_after="1")
        second = make_build(tmp_path / "c", "C")
        for _ in range(2):
            try:
                await hosting.deploy("acme", second, "k2")
            except CloudflareUnavailable as e:
                errors.append(repr(e) + str(e.__context__) + str(e.__cause__))
        try:
            await cloudflare_hosting(fake, token="bad").deploy("acme", tmp_path / "b", "k3")
        except CloudflareRejected as e:
            errors.append(repr(e) + str(e.__context__))
    assert len(errors) == 3 and fake.state.jwts
    seen = caplog.text + capsys.readouterr().out + repr(events) + "".join(errors)
    assert "POST" in caplog.text or "HTTP Request" in caplog.text  # the logs were captured
    for secret in [fake.state.token, *fake.state.jwts]:
        assert secret not in seen


async def test_records_sitegen_did_not_make_are_never_touched(
    fake: FakeCloudflare, hosting: CloudflareHosting
) -> None:
    fake.state.create_record({"name": PREVIEW, "type": "CNAME", "content": "agency.example"})
    with pytest.raises(SubdomainTaken):
        await hosting.ensure_subdomain("acme", "bakery")
    [record_id] = records_named(fake, PREVIEW)
    assert fake.state.records[record_id].content == "agency.example"
    assert fake.count("PATCH", "dns_records") == 0 and fake.count("DELETE", "") == 0


async def test_take_down_removes_routing_and_keeps_everything_else(
    fake: FakeCloudflare, hosting: CloudflareHosting, tmp_path: Path
) -> None:
    d = await hosting.deploy("acme", make_build(tmp_path / "b", "Acme"), "k1")
    await hosting.pin_version("acme", "bakery", 1, d.deploy_id)
    await hosting.publish_production("acme", "bakery", d.deploy_id)
    live = CF_ADDRESSES.production_host("bakery")
    assert await hosting.take_down("acme")
    assert list(fake.state.domains["acme"]) == [live]
    names = sorted(r.name for r in fake.state.records.values())
    assert names == ["_sitegen.acme.preview.agency.test", live]
    assert [x.id for x in fake.state.deployments["acme"]] == [d.deploy_id]
    fake.drop("DELETE", r"/dns_records/")  # a take-down retried after a lost answer
    assert not await hosting.take_down("acme")
    # A cancelled site gets no new public addresses from a late version pin.
    assert not (await hosting.pin_version("acme", "bakery", 2, d.deploy_id)).created
    assert not records_named(fake, CF_ADDRESSES.version_host("bakery", 2))


def test_make_hosting_builds_the_adapter_from_settings(fake: FakeCloudflare) -> None:
    settings = Settings(
        hosting_provider="cloudflare", cloudflare_api_token=fake.state.token,
        cloudflare_account_id=fake.state.account_id, cloudflare_zone_id=fake.state.zone_id,
        cloudflare_api_url=fake.api_url, public_base_domain="preview.agency.test",
        production_base_domain="sites.agency.test",
    )  # fmt: skip
    hosting = make_hosting(settings)
    assert isinstance(hosting, CloudflareHosting)
    assert hosting.addresses == CF_ADDRESSES
    assert hosting.production_url("bakery") == "https://bakery.sites.agency.test/"
    assert settings.preview_url("acme") == "https://acme.preview.agency.test/"
    missing = settings.model_copy(update={"cloudflare_api_token": None, "cloudflare_zone_id": ""})
    with pytest.raises(SystemExit) as stopped:
        make_hosting(missing)
    message = str(stopped.value)
    assert "SITEGEN_CLOUDFLARE_API_TOKEN" in message and "SITEGEN_CLOUDFLARE_ZONE_ID" in message
    assert "SITEGEN_CLOUDFLARE_ACCOUNT_ID" not in message
