"""What the design tests share: a site's spec, sitemap and layout made the way the offline
planner makes them from an example onboarding, and a built site's archive."""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from typing import Any

from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.site import LayoutPlan, Sitemap, SiteSpec
from sitegen.integrations.ai.planning import layout_plan, site_spec, sitemap
from sitegen.settings import Settings
from sitegen.templates_registry import TemplateManifest, load_template
from tests.conftest import example

HOSTILE = 'Tom & Jerry\'s <script>alert("x")</script>'


@dataclass
class Plan:
    template: TemplateManifest
    spec: SiteSpec
    site_map: Sitemap
    layout: LayoutPlan


def plan(settings: Settings, example_name: str = "harbour-physio", **business: Any) -> Plan:
    data = example(example_name)
    data["business"].update(business)
    onboarding = Onboarding.model_validate(data)
    template = load_template(settings.templates_dir, "landing")
    spec = site_spec(onboarding, template)
    site_map = sitemap(spec, template)
    return Plan(template, spec, site_map, layout_plan(spec, site_map, template))


def dist(index: str = "<!doctype html><title>site</title><p>site</p>") -> bytes:
    """A build's archive as the build step stores it: the site's files, gzipped."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        data = index.encode()
        info = tarfile.TarInfo("index.html")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()
