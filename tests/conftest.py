"""Fixtures shared by every test tree."""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True, scope="session")
def private_temp_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A temp folder of this test run's own, for it and the processes it starts.

    Home Assistant's file_upload keeps uploads in ``<temp>/home-assistant-file_upload`` and
    removes that folder when it stops: two test runs on one machine removed each other's
    (a FileNotFoundError at teardown of whichever stopped second).
    """
    private = str(tmp_path_factory.mktemp("tmp"))
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir, os.environ["TMPDIR"] = private, private
    yield
    tempfile.tempdir = saved[0]
    if saved[1] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved[1]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/crosswatch in every test."""
