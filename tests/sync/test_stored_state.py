"""The stored (packed) form of a pair's state and the migration from the plain one."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import replace

import pytest

from custom_components.crosswatch.api.models import Feature
from custom_components.crosswatch.pairs import decode_memory, encode_memory, migrate_memory
from custom_components.crosswatch.sync import inventory as inventory_module
from custom_components.crosswatch.sync import state as state_module
from custom_components.crosswatch.sync.engine import PairMemory
from custom_components.crosswatch.sync.guards import FailureRecord
from custom_components.crosswatch.sync.inventory import Entry, Inventory, Row
from custom_components.crosswatch.sync.plan import ProgressRead, RunResult
from custom_components.crosswatch.sync.state import (
    CHUNK_ENTRIES,
    STORED_VERSION,
    Baseline,
    PackedInventories,
    PairState,
    ReadMark,
    RunRecord,
    pack_inventory,
    unpack_inventory,
)

from .helpers import history, movie, unmatched_title, watchlist


def _state() -> PairState:
    many = history(*((movie(n), n * 60.0) for n in range(CHUNK_ENTRIES + 5)))
    return PairState(
        baselines={
            Feature.WATCHLIST: Baseline(watchlist(movie(1)), watchlist(movie(2))),
            Feature.HISTORY: Baseline(many, history((movie(1), 0))),
        },
        runs=(RunRecord(started_at=1, finished_at=2, result=RunResult.OK),),
        watermarks={"source:watchlist": "2026-01-01T00:00:00Z"},
        read_marks={"source:history": ReadMark(5.0, 4.0)},
    )


def test_stored_form_round_trips_through_json_in_chunks() -> None:
    state = _state()
    stored = json.loads(json.dumps(state.to_stored()))
    assert stored["version"] == STORED_VERSION
    assert len(stored["baselines"]["history"]["source"]["chunks"]) == 2
    assert PairState.from_stored(stored) == state
    assert PairState.from_stored(PairState().to_stored()) == PairState()
    assert len(json.dumps(stored)) < len(json.dumps(state.to_dict())) / 4


def test_memory_round_trips_with_its_exact_sides() -> None:
    memory = PairMemory(state=_state(), exact=frozenset({"source:history"}))
    assert decode_memory(json.loads(json.dumps(encode_memory(memory)))) == memory


def test_a_memory_of_fewer_features_forgets_the_others() -> None:
    state = replace(
        _state(),
        failures={"history|target|a": FailureRecord(1), "watchlist|target|b": FailureRecord(2)},
        lingering={"target:history": {"a": (1.0,)}},
        unmatched={
            "a": unmatched_title("a", "history"),
            "b": unmatched_title("b", "history", "watchlist"),
            "c": unmatched_title("c", "watchlist"),
        },
        progress={"tmdb:1": 1.0},
        progress_reads={"source:progress": ProgressRead(1.0, {})},
    )
    memory = PairMemory(state=state, exact=frozenset({"source:history", "target:watchlist"}))

    kept = memory.only([Feature.WATCHLIST])
    assert set(kept.state.baselines) == {Feature.WATCHLIST}
    assert kept.state.baselines[Feature.WATCHLIST] is state.baselines[Feature.WATCHLIST]
    assert kept.exact == {"target:watchlist"}
    assert set(kept.state.failures) == {"watchlist|target|b"}
    assert kept.state.watermarks == state.watermarks
    assert (kept.state.read_marks, kept.state.lingering) == ({}, {})
    assert {k: t.features for k, t in kept.state.unmatched.items()} == {
        "b": ("watchlist",),
        "c": ("watchlist",),
    }
    assert (kept.state.progress, kept.state.progress_reads) == ({}, {})
    assert (kept.state.runs, kept.state.overrides) == (state.runs, state.overrides)
    # Nothing to forget: the very same memory (so nothing is written).
    assert memory.only([Feature.WATCHLIST, Feature.HISTORY, Feature.PROGRESS]) is memory


@pytest.mark.parametrize(
    "packed",
    [
        {"feature": "history"},
        {"feature": "history", "chunks": ["not base64!"]},
        {"feature": "history", "chunks": [base64.b64encode(b"not zlib").decode()]},
        {"feature": "films", "chunks": []},
        {
            "feature": "history",
            "chunks": [base64.b64encode(zlib.compress(b'[["k", {"item": 1}]]')).decode()],
        },
    ],
)
def test_malformed_stored_inventories_are_refused(packed: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="malformed inventory"):
        unpack_inventory(packed)


def test_a_plain_state_is_not_read_as_a_stored_one() -> None:
    with pytest.raises(ValueError, match="version 1"):
        PairState.from_stored(_state().to_dict())


def test_packing_keeps_every_entry() -> None:
    inventory = history((movie(1), 0), (movie(1), 60), (movie(2), 120))
    assert unpack_inventory(pack_inventory(inventory)) == inventory
    assert unpack_inventory(pack_inventory(Inventory(Feature.RATINGS))) == Inventory(
        Feature.RATINGS
    )


def test_migration_carries_a_version_1_state_over() -> None:
    memory = PairMemory(state=_state(), exact=frozenset({"target:history"}))
    old = {**memory.state.to_dict(), "exact": ["target:history"]}
    assert decode_memory(migrate_memory(1, json.loads(json.dumps(old)))) == memory


def test_migration_of_an_unreadable_state_starts_afresh(caplog: pytest.LogCaptureFixture) -> None:
    assert decode_memory(migrate_memory(1, {"version": 1, "baselines": {"x": {}}})) == PairMemory()
    assert "unreadable" in caplog.text
    assert decode_memory(migrate_memory(0, {})) == PairMemory()


def _counting_entry_dicts(monkeypatch: pytest.MonkeyPatch) -> list[Row]:
    packed: list[Row] = []
    plain = inventory_module.row_to_dict

    def counted(row: Row) -> dict[str, object]:
        packed.append(row)
        return plain(row)

    monkeypatch.setattr(state_module, "row_to_dict", counted)  # what the state packs with
    return packed


def test_a_save_packs_only_the_chunks_whose_entries_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory = PairMemory(state=_state())
    cache = PackedInventories()
    first = encode_memory(memory, cache)
    packed = _counting_entry_dicts(monkeypatch)

    assert encode_memory(memory, cache) == first
    assert packed == []  # the same baselines: nothing packed again

    baseline = memory.state.baselines[Feature.HISTORY]
    last_key = list(baseline.source.entries)[-1]
    changed = baseline.source.with_entry(last_key, Entry(item=movie(999), plays=(1.0,)))
    later = PairState(
        baselines={**memory.state.baselines, Feature.HISTORY: Baseline(changed, baseline.target)}
    )
    stored = encode_memory(PairMemory(state=later), cache)

    assert len(packed) == 5  # the last chunk only (the first holds CHUNK_ENTRIES unchanged)
    first_chunks = first["baselines"]["history"]["source"]["chunks"]
    assert stored["baselines"]["history"]["source"]["chunks"][0] is first_chunks[0]
    assert decode_memory(json.loads(json.dumps(stored))).state.baselines == later.baselines
    assert stored == encode_memory(PairMemory(state=later))


def test_chunks_read_at_start_are_reused_only_when_cut_as_today(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = json.loads(json.dumps(encode_memory(PairMemory(state=_state()))))
    cache = PackedInventories()
    memory = decode_memory(stored, cache)
    packed = _counting_entry_dicts(monkeypatch)
    assert encode_memory(memory, cache) == stored
    assert packed == []

    # Chunks cut otherwise (another chunk size, as an older or newer version might): repacked.
    source = memory.state.baselines[Feature.HISTORY].source
    rows = [[key, inventory_module.entry_to_dict(entry)] for key, entry in source.entries.items()]
    odd = [rows[:10], rows[10:]]
    stored["baselines"]["history"]["source"]["chunks"] = [
        base64.b64encode(zlib.compress(json.dumps(part).encode())).decode() for part in odd
    ]
    cache = PackedInventories()
    odd_memory = decode_memory(stored, cache)
    assert odd_memory == memory
    packed.clear()
    assert encode_memory(odd_memory, cache) == encode_memory(PairMemory(state=_state()))
    assert len(packed) == len(rows) + len(rows) + 3  # that side, then all without the cache
