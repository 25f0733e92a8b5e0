"""TMDb's image host (``/tmdb-image`` = ``https://image.tmdb.org``): the posters our TMDb serves.

TMDb answers a ``file_path`` (``poster_path``) and documents how to turn it into a URL:
``{images.secure_base_url}{size}{file_path}`` with ``secure_base_url`` from ``/configuration``
(``https://image.tmdb.org/t/p/``) and a size from ``images.poster_sizes``
(https://developer.themoviedb.org/docs/image-basics). This module serves that URL space for the
file paths ``tmdb.py`` hands out, so a poster loads offline: a JPEG, as the real host sends, of
the title on a colour of its own. Unknown files and sizes get the host's 404.
"""

from __future__ import annotations

import io
import re
import zlib
from functools import lru_cache

from aiohttp import web
from PIL import Image, ImageDraw, ImageFont

from .catalogue import Movie, Show
from .core import state_of

PREFIX = "/tmdb-image"
# Widths of TMDb's poster and backdrop sizes (configuration.images.*_sizes); "original" is 780.
WIDTHS = {"w92": 92, "w154": 154, "w185": 185, "w300": 300, "w342": 342, "w500": 500}
WIDTHS |= {"w780": 780, "w1280": 1280, "original": 780}
# tmdb.py's file paths: /sim{m|mb|t|tb}{tmdb id}p.jpg (movie/show poster or backdrop).
FILE = re.compile(r"sim(?P<kind>m|mb|t|tb)(?P<id>\d+)p\.jpg")


@lru_cache(maxsize=64)
def render(title: str, width: int, *, backdrop: bool) -> bytes:
    """A poster (2:3) or backdrop (16:9) of ``title``, as JPEG bytes."""
    height = width * 9 // 16 if backdrop else width * 3 // 2
    hue = zlib.crc32(title.encode())
    colour = (60 + hue % 140, 60 + (hue >> 8) % 140, 60 + (hue >> 16) % 140)
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, width // 9))
    words, lines = title.split(), [""]
    for word in words:
        candidate = f"{lines[-1]} {word}".strip()
        if lines[-1] and draw.textlength(candidate, font=font) > width * 0.85:
            lines.append(word)
        else:
            lines[-1] = candidate
    centre = (width / 2, height / 2)
    draw.multiline_text(centre, "\n".join(lines), fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def image(request: web.Request) -> web.Response:
    width = WIDTHS.get(request.match_info["size"])
    found = FILE.fullmatch(request.match_info["file"])
    catalogue = state_of(request).catalogue
    title: Movie | Show | None = None
    if found is not None:
        ids = {"tmdb": found["id"]}
        if found["kind"].startswith("m"):
            title = catalogue.find_as(Movie, ids)
        else:
            title = catalogue.find_as(Show, ids)
    if width is None or title is None:
        # The image host's own 404 is a small HTML page, not TMDb's JSON error.
        return web.Response(
            status=404, text="<html><body>Not Found</body></html>", content_type="text/html"
        )
    body = render(title.title, width, backdrop=found is not None and found["kind"].endswith("b"))
    return web.Response(
        body=body, content_type="image/jpeg", headers={"Cache-Control": "max-age=31536000"}
    )


def setup(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/t/p/{{size}}/{{file}}", image)
