from sitegen.integrations.storage.base import (
    InvalidKey,
    ObjectNotFound,
    Storage,
    StorageError,
    StorageMisconfigured,
    StorageUnavailable,
    StoredObject,
    validate_key,
)
from sitegen.integrations.storage.filesystem import FilesystemStorage

__all__ = [
    "FilesystemStorage",
    "InvalidKey",
    "ObjectNotFound",
    "Storage",
    "StorageError",
    "StorageMisconfigured",
    "StorageUnavailable",
    "StoredObject",
    "validate_key",
]
