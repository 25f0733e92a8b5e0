"""Well-known credentials and identities the simulator accepts (all fake, all public).

Plex
    ``PLEX_OWNER_TOKEN``  plex.tv account token of the server owner (PMS account id 1).
    ``PLEX_SERVER_TOKEN`` the owner's server ``accessToken`` from ``/api/v2/resources``.
    ``PLEX_SHARED_TOKEN`` / ``PLEX_SHARED_SERVER_TOKEN`` the friend the server is shared with
    (PMS account id = plex.tv id ``PLEX_SHARED_ID``).
    ``PMS_MACHINE_ID`` the server's machineIdentifier; players ``PLAYER_TV`` and ``PLAYER_WEB``.
Trakt
    ``TRAKT_CLIENT_ID`` / ``TRAKT_CLIENT_SECRET``: the user's API app; ``TRAKT_CLIENT_ID_2`` /
    ``TRAKT_CLIENT_SECRET_2``: a second app (the new one after Trakt deleted the first). Users
    ``TRAKT_USER`` and ``TRAKT_USER_2``.
    ``TRAKT_ACCESS_TOKEN`` / ``TRAKT_REFRESH_TOKEN``: a pair for ``TRAKT_USER`` created at every
    reset (valid 7 days from then). More pairs: ``Simulator.trakt_token(user)``.
SIMKL
    ``SIMKL_CLIENT_ID``, ``SIMKL_TOKEN`` (user ``SIMKL_USER``), ``SIMKL_TOKEN_2``.
TMDb
    ``TMDB_V3_KEY`` (``?api_key=``) and ``TMDB_V4_TOKEN`` (``Authorization: Bearer``).
"""

from __future__ import annotations

from typing import Final

PLEX_OWNER_ID: Final = 1000001
PLEX_OWNER_NAME: Final = "simowner"
PLEX_OWNER_TOKEN: Final = "plex-owner-account-token"
PLEX_SERVER_TOKEN: Final = "plex-owner-server-token"
PLEX_SHARED_ID: Final = 2000002
PLEX_SHARED_NAME: Final = "simfriend"
PLEX_SHARED_TOKEN: Final = "plex-shared-account-token"
PLEX_SHARED_SERVER_TOKEN: Final = "plex-shared-server-token"
PMS_MACHINE_ID: Final = "5e1a7b2c3d4e5f60718293a4b5c6d7e8f9012345"
PMS_NAME: Final = "Sim Plex Server"
SHARED_PMS_MACHINE_ID: Final = "0f9e8d7c6b5a49382716a5b4c3d2e1f00ffeeddc"
PLAYER_TV: Final = "980878c6a5f14965-com-plexapp-android"
PLAYER_WEB: Final = "r6yfkdnfggbh2bdnvkffwbms"

TRAKT_CLIENT_ID: Final = "a" * 56 + "c11e47"
TRAKT_CLIENT_SECRET: Final = "b" * 56 + "5ec7e7"
TRAKT_CLIENT_ID_2: Final = "c" * 56 + "c11e42"
TRAKT_CLIENT_SECRET_2: Final = "d" * 56 + "5ec7e2"
TRAKT_USER: Final = "simuser"
TRAKT_USER_2: Final = "simpartner"
TRAKT_ACCESS_TOKEN: Final = "7a" * 32
TRAKT_REFRESH_TOKEN: Final = "7f" * 32

SIMKL_CLIENT_ID: Final = "5c" * 32
SIMKL_USER: Final = "simkluser"
SIMKL_USER_ID: Final = 424242
SIMKL_TOKEN: Final = "5d" * 32
SIMKL_USER_2: Final = "simklpartner"
SIMKL_TOKEN_2: Final = "5e" * 32

TMDB_V3_KEY: Final = "0123456789abcdef0123456789abcdef"
TMDB_V4_TOKEN: Final = (
    "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIwMTIzNDU2Nzg5YWJjZGVmIiwic2NvcGVzIjpbImFwaV9yZWFkIl19.c2lt"
)
