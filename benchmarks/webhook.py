"""Plex webhook body parsing: the cost the HA webhook handler pays in the event loop per POST.

Bodies as PMS sends them: ``multipart/form-data`` with the JSON ``payload`` part, plus the
``thumb`` JPEG part that ``media.play``/``media.rate`` carry (sizes from none to the 1 MiB cap),
and a plain JSON body; then hostile bodies under the cap that must cost as little (many empty
parts, one part header of 1 MiB), which find no payload. Prints p50/p95/max per shape.

    .venv/bin/python -m benchmarks.webhook [--runs 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from custom_components.crosswatch.providers.plex.webhook import MAX_BODY_BYTES, parse_body

BOUNDARY = "--------------------------crosswatchbench"
HOSTILE_FORM = "multipart/form-data; boundary=a"
PAYLOAD = {
    "event": "media.play",
    "user": True,
    "owner": True,
    "Account": {"id": 1, "title": "owner"},
    "Server": {"title": "Plex", "uuid": "5e1a7b2c3d4e5f60718293a4b5c6d7e8f9012345"},
    "Player": {"local": True, "title": "SHIELD", "uuid": "980878c6a5f14965"},
    "Metadata": {
        "ratingKey": "1001",
        "type": "movie",
        "title": "Inception",
        "year": 2010,
        "Guid": [{"id": "imdb://tt1375666"}, {"id": "tmdb://27205"}],
        "duration": 8_880_000,
        "viewOffset": 888_000,
    },
}


def multipart(thumb_bytes: int) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="payload"\r\n\r\n'.encode()
        + json.dumps(PAYLOAD).encode()
        + b"\r\n"
    ]
    if thumb_bytes:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="thumb"; '
            'filename="thumb.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + os.urandom(thumb_bytes)
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def hostile_many_parts() -> bytes:
    part = b"--a\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n"
    return part * (MAX_BODY_BYTES // len(part))


def hostile_long_header() -> bytes:
    params = b"; n=v" * ((MAX_BODY_BYTES - 100) // 5)
    return b"--a\r\nContent-Disposition: form-data" + params + b"\r\n\r\n{}\r\n--a--"


def measure(content_type: str, body: bytes, runs: int, *, found: bool = True) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        assert (parse_body(content_type, body) is not None) is found
        timings.append((time.perf_counter() - start) * 1000.0)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    form = f"multipart/form-data; boundary={BOUNDARY}"
    shapes = [
        ("json", "application/json", json.dumps(PAYLOAD).encode()),
        ("multipart, no thumb", form, multipart(0)),
        ("multipart, 30 KiB thumb", form, multipart(30 * 1024)),
        ("multipart, 300 KiB thumb", form, multipart(300 * 1024)),
        ("multipart, at the 1 MiB cap", form, multipart(MAX_BODY_BYTES - 2048)),
        ("hostile: 23k empty parts", HOSTILE_FORM, hostile_many_parts()),
        ("hostile: 1 MiB part header", HOSTILE_FORM, hostile_long_header()),
    ]
    print(f"webhook body parsing, {args.runs} runs per shape (ms)")
    for name, content_type, body in shapes:
        found = content_type != HOSTILE_FORM
        timings = sorted(measure(content_type, body, args.runs, found=found))
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{name:<28} {len(body):>8} B  p50={statistics.median(timings):7.3f}"
            f"  p95={p95:7.3f}  max={timings[-1]:7.3f}"
        )


if __name__ == "__main__":
    main()
