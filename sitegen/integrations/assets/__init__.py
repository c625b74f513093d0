from sitegen.integrations.assets.fetcher import (
    ALLOWED_TYPES,
    AssetError,
    AssetFetcher,
    AssetRejected,
    AssetUnavailable,
    FetchedAsset,
    sniff_image_type,
)

__all__ = [
    "ALLOWED_TYPES",
    "AssetError",
    "AssetFetcher",
    "AssetRejected",
    "AssetUnavailable",
    "FetchedAsset",
    "sniff_image_type",
]
