"""TMDb sign-in: a v3 key or v4 read token, checked against TMDb before the entry is made."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from .account import _tmdb_client

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def tmdb_key_hash(key: str) -> str:
    """The TMDb entry's unique id: a hash, so the key itself never becomes an identifier."""
    return hashlib.sha256(key.encode()).hexdigest()


async def validate_tmdb_key(hass: HomeAssistant, key: str) -> None:
    """Raise ``AuthError`` (or another API error) unless TMDb accepts ``key``."""
    await _tmdb_client(hass, key).validate()
