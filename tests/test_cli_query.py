"""``dicomactors find``, ``get`` and ``move`` with ``-k`` keys against DCMTK's dcmqrscp (and
``find`` against a pynetdicom worklist SCP), and their failures in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydicom import Dataset, dcmread

from dicomactors.cli.common import Exit
from harness import systems
from harness.systems import LOOPBACK, PeerUnavailable, SystemUnderTest, free_port
from tests._cli import assert_fails_in_one_line, run_cli
from tests.test_qr_support import corpus, write_files


@dataclass
class World:
    data: list[Dataset]
    qr: SystemUnderTest
    storescp_dir: Path

    def port(self) -> str:
        return str(self.qr.port)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("cli-qr")
    data = corpus()
    files = write_files(data, tmp / "storage")
    received = tmp / "storescp"
    received.mkdir()
    try:
        with (
            systems.dcmtk_storescp("STORESCP", received) as storescp,
            systems.dcmtk_dcmqrscp(
                "DCMQRSCP", tmp / "storage", {"STORESCP": storescp.address}, preload=files
            ) as qr,
        ):
            yield World(data, qr, received)
    except PeerUnavailable as error:
        pytest.skip(str(error))


def test_find_studies_with_keys(world: World) -> None:
    result = run_cli(
        "find", LOOPBACK, world.port(), "-aec", "DCMQRSCP", "-S", "--json",
        "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=PID001", "-k", "StudyInstanceUID",
        "-k", "(0008,0020)",
    )  # fmt: skip
    assert result.returncode == Exit.OK, result.stderr
    found = {Dataset.from_json(m).StudyInstanceUID for m in json.loads(result.stdout)}
    assert found == {ds.StudyInstanceUID for ds in world.data if ds.PatientID == "PID001"}
    assert "2 matches, final status 0x0000" in result.stderr


def test_find_prints_matches_for_people(world: World) -> None:
    result = run_cli(
        "find", LOOPBACK, world.port(), "-aec", "DCMQRSCP", "-P",
        "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientName=Roe*", "-k", "PatientID",
    )  # fmt: skip
    assert result.returncode == Exit.OK, result.stderr
    assert "# match 1" in result.stdout and "# match 2" not in result.stdout
    assert "PID002" in result.stdout
    assert "1 matches, final status 0x0000 Success" in result.stdout


def test_get_a_series_into_a_directory(world: World, tmp_path: Path) -> None:
    study, series = world.data[0].StudyInstanceUID, world.data[0].SeriesInstanceUID
    wanted = {ds.SOPInstanceUID for ds in world.data if ds.SeriesInstanceUID == series}
    result = run_cli(
        "get", LOOPBACK, world.port(), "-aec", "DCMQRSCP", "-S", "-od", str(tmp_path),
        "-k", "QueryRetrieveLevel=SERIES", "-k", f"StudyInstanceUID={study}",
        "-k", f"SeriesInstanceUID={series}",
    )  # fmt: skip
    assert result.returncode == Exit.OK, result.stderr
    assert f"completed {len(wanted)}, failed 0" in result.stdout
    assert {dcmread(p).SOPInstanceUID for p in tmp_path.glob("*.dcm")} == wanted


def test_move_a_study_to_dcmtk_storescp(world: World) -> None:
    study = world.data[-1].StudyInstanceUID
    wanted = {ds.SOPInstanceUID for ds in world.data if ds.StudyInstanceUID == study}
    result = run_cli(
        "move", LOOPBACK, world.port(), "-aec", "DCMQRSCP", "-S", "-aem", "STORESCP", "--json",
        "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}",
    )  # fmt: skip
    assert result.returncode == Exit.OK, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["completed"], summary["failed"]) == ("0x0000", 5, 0)
    assert len(wanted) == 5
    got = {dcmread(p).SOPInstanceUID for p in world.storescp_dir.iterdir()}
    assert wanted <= got


def test_move_to_an_unknown_destination(world: World) -> None:
    study = world.data[0].StudyInstanceUID
    result = run_cli(
        "move", LOOPBACK, world.port(), "-aec", "DCMQRSCP", "-S", "-aem", "NOWHERE",
        "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}",
    )  # fmt: skip
    line = assert_fails_in_one_line(result, Exit.FAILED, "C-MOVE", "0xA801")
    assert "destination" in line.lower()


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("PatientNam=X", "not a keyword"),
        ("(0009,0001)=X", "not in the dictionary"),
        ("Patient Name=X", "not a keyword or a tag"),
        ("Rows=many", "not a number"),
        ("PatientName[0].PatientID=1", "not a sequence"),
    ],
)
def test_bad_keys(key: str, words: str) -> None:
    result = run_cli("find", LOOPBACK, "104", "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", key)
    assert_fails_in_one_line(result, Exit.USAGE, "bad key", words)


def test_a_query_needs_a_level() -> None:
    result = run_cli("find", LOOPBACK, "104", "-S", "-k", "PatientID=1")
    assert_fails_in_one_line(result, Exit.USAGE, "QueryRetrieveLevel")


def test_called_title_unknown_to_dcmqrscp(world: World) -> None:
    result = run_cli(
        "find", LOOPBACK, world.port(), "-aec", "SOMEONE", "-S", "-k", "QueryRetrieveLevel=STUDY"
    )
    assert_fails_in_one_line(result, Exit.REJECTED, "called AE title not recognised")


def test_get_from_a_peer_that_is_down(tmp_path: Path) -> None:
    result = run_cli(
        "get", LOOPBACK, str(free_port()), "-od", str(tmp_path), "-k", "QueryRetrieveLevel=PATIENT"
    )
    assert_fails_in_one_line(result, Exit.UNREACHABLE, "cannot connect")
