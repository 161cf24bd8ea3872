"""Canonical JSON and SHA-256: what commitments, draws and seeds are computed over."""

import hashlib
import json


def canonical_json(value) -> str:
    """Sorted keys, no spaces, UTF-8 text: the same value always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
