from sitegen.integrations.hosting.base import (
    DeployError,
    Deployment,
    Hosting,
    HostingError,
    InvalidSiteName,
    SiteAddresses,
    SubdomainRecord,
    SubdomainTaken,
    VersionPinned,
)
from sitegen.integrations.hosting.local import LocalHosting
from sitegen.integrations.hosting.server import make_static_host_app

__all__ = [
    "DeployError",
    "Deployment",
    "Hosting",
    "HostingError",
    "InvalidSiteName",
    "LocalHosting",
    "SiteAddresses",
    "SubdomainRecord",
    "SubdomainTaken",
    "VersionPinned",
    "make_static_host_app",
]
