"""Constants shared by the HA glue, including the documented shapes of entry and subentry data.

Sync and scrobble engineers read subentry data through the ``PAIR_*`` and ``ROUTE_*`` keys below;
changing a key here is a storage migration.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from homeassistant.const import Platform

DOMAIN: Final = "crosswatch"

# Every platform CrossWatch forwards an entry to, in one place; later platforms are added here.
PLATFORMS: Final[tuple[Platform, ...]] = (
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.SWITCH,
)


class Service(StrEnum):
    """A service one config entry connects to."""

    PLEX = "plex"
    TRAKT = "trakt"
    SIMKL = "simkl"
    TMDB = "tmdb"


# -- config entry data -------------------------------------------------------------------------
# Every entry: {"service": Service, "account_id": str, "account_name": str, ...service keys}.
CONF_SERVICE: Final = "service"
CONF_ACCOUNT_ID: Final = "account_id"
CONF_ACCOUNT_NAME: Final = "account_name"
# Plex: the plex.tv account token, our X-Plex-Client-Identifier, and the chosen server.
CONF_PLEX_TOKEN: Final = "plex_token"
CONF_PLEX_CLIENT_ID: Final = "plex_client_identifier"
CONF_SERVER_ID: Final = "server_id"
CONF_SERVER_NAME: Final = "server_name"
CONF_SERVER_URL: Final = "server_url"
CONF_SERVER_TOKEN: Final = "server_token"
CONF_SERVER_OWNED: Final = "server_owned"
# Plex with scrobble routes: the HA webhook id Plex posts to (generated on first setup; secret).
CONF_WEBHOOK_ID: Final = "webhook_id"
# Trakt: HA's OAuth2 keys "auth_implementation" and "token" (access/refresh/expires_at).
CONF_TOKEN: Final = "token"
# SIMKL: the user's client id and the long-lived access token.
CONF_CLIENT_ID: Final = "client_id"
CONF_ACCESS_TOKEN: Final = "access_token"
# TMDb: a v3 key or a v4 read token.
CONF_API_KEY: Final = "api_key"

# -- subentries ----------------------------------------------------------------------------------
SUBENTRY_SYNC_PAIR: Final = "sync_pair"
SUBENTRY_SCROBBLE_ROUTE: Final = "scrobble_route"

# Sync pair (on the source account's entry):
#   {"target_entry_id": str, "features": list[Feature], "direction": Direction,
#    "removals": Removals, "interval_minutes": int}
PAIR_TARGET: Final = "target_entry_id"
PAIR_FEATURES: Final = "features"
PAIR_DIRECTION: Final = "direction"
PAIR_REMOVALS: Final = "removals"
PAIR_INTERVAL: Final = "interval_minutes"
DEFAULT_PAIR_INTERVAL: Final = 60


class Direction(StrEnum):
    """Which way a sync pair carries changes."""

    ONE_WAY = "one_way"
    TWO_WAY = "two_way"


class Removals(StrEnum):
    """Whether a sync pair may delete on the target; off unless the user opts in."""

    OFF = "off"
    MIRROR = "mirror"


# Scrobble route (on a Plex entry):
#   {"plex_users": list[str] (PMS account ids as strings; empty = every user),
#    "all_users": bool, "target_entry_ids": list[str]}
ROUTE_ALL_USERS: Final = "all_users"
ROUTE_PLEX_USERS: Final = "plex_users"
ROUTE_TARGETS: Final = "target_entry_ids"

# -- polling ---------------------------------------------------------------------------------
# How often each service is polled: see ``poll_minutes`` of its provider.
RECENT_TITLES: Final = 10

APP_NAME: Final = "CrossWatch"
APP_VERSION: Final = "0.1.0"

# Dispatcher signals (formatted with the entry id): a sync pair or scrobbling was added to a loaded
# entry without a reload, so its platforms add the new entities.
SIGNAL_PAIR_ADDED: Final = "crosswatch_pair_added_{}"
SIGNAL_SCROBBLING_STARTED: Final = "crosswatch_scrobbling_started_{}"
# An import job's progress (after each batch, and at its end), by job id.
SIGNAL_IMPORT_PROGRESS: Final = "crosswatch_import_progress_{}"
# A Plex user the scrobbler routes, seen for the first time (args: scrobbler, user id).
SIGNAL_SCROBBLE_USER_ADDED: Final = "crosswatch_scrobble_user_added_{}"
