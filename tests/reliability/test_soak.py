"""The soak suite at CI counts (issue 14): the SCP runs in its own process.

Each test runs one part of ``bench.soak`` against ``bench.soak_server`` and
asserts its failures list is empty and its resource figures are bounded. The
same parts run at long counts with ``python -m bench.soak`` (docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench import soak

pytestmark = pytest.mark.timeout(180)

#: RSS growth allowed over a part, after its warm-up (KiB).
RSS_BOUND_KIB = 16 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[soak.SoakServer]:
    with soak.soak_server() as running:
        yield running


def _ok(result: soak.Result) -> None:
    assert not result.failures, f"{result.name}: {result.failures[:10]} {result.figures}"


def test_malformed_pdu_storm(server: soak.SoakServer) -> None:
    result = soak.storm(server, 1000)
    _ok(result)
    figures = result.figures
    assert figures["rss_kib_end"] - figures["rss_kib_after_first_500"] < RSS_BOUND_KIB
    assert figures["actors_start_end"][1] <= figures["actors_start_end"][0]


def test_churn_returns_to_baseline(server: soak.SoakServer) -> None:
    result = soak.churn(server, 600, 150)
    _ok(result)
    assert result.figures["end"]["rss_kib"] - result.figures["baseline"]["rss_kib"] < RSS_BOUND_KIB


def test_integrity_under_load(server: soak.SoakServer) -> None:
    _ok(soak.integrity(server, associations=8, per=5, largest=1 << 20))


def test_peers_vanishing_mid_data_set(server: soak.SoakServer) -> None:
    _ok(soak.vanish(server))


def test_slowloris_at_the_default_limits() -> None:
    with soak.soak_server() as running:
        _ok(soak.slowloris(running, slow=100, seconds=6.0))


def test_shutdown_under_load() -> None:
    with soak.soak_server() as running:
        _ok(soak.shutdown_under_load(running, workers=4, pending=20))
