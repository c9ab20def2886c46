"""The reference Q/R SCP against DCMTK, and the dicomactors SCU against dcmqrscp.

One data set (tests/test_qr_support.corpus) is loaded into both dicomactors' qrscp and
DCMTK's dcmqrscp; findscu/getscu/movescu run against ours, our SCU runs against theirs,
and the same C-FIND queries sent to both must select the same entities.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydicom import Dataset, dcmread

from dicomactors.apps.qrscp import RunningQRSCP
from dicomactors.qr import InformationModel, parse_query
from harness import systems
from harness.systems import SystemUnderTest
from tests.test_qr_support import (
    Collector,
    corpus,
    get_roles,
    query,
    read_responses,
    run_dcmtk,
    running_qrscp,
    scu_ae,
    skip_unless,
    store_all,
    write_files,
)

pytestmark = pytest.mark.timeout(120)


@dataclass
class World:
    data: list[Dataset]
    ours: RunningQRSCP
    dest: RunningQRSCP  # a second qrscp: the C-MOVE destination of both SCPs
    storescp: SystemUnderTest
    storescp_dir: Path
    dcmqrscp: SystemUnderTest
    tmp: Path

    def by_uid(self) -> dict[str, Dataset]:
        return {str(ds.SOPInstanceUID): ds for ds in self.data}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    skip_unless("dcmtk")
    tmp = tmp_path_factory.mktemp("qr-dcmtk")
    data = corpus()
    files = write_files(data, tmp / "dcmqrscp-storage")
    received = tmp / "storescp"
    received.mkdir()
    with (
        running_qrscp(tmp / "dest", "QRDEST") as dest,
        systems.dcmtk_storescp("STORESCP", received) as storescp,
        running_qrscp(
            tmp / "ours",
            "QRSCP",
            {"STORESCP": storescp.address, "QRDEST": ("127.0.0.1", dest.port)},
        ) as ours,
        systems.dcmtk_dcmqrscp(
            "DCMQRSCP",
            tmp / "dcmqrscp-storage",
            {"QRDEST": ("127.0.0.1", dest.port), "DASCU": ("127.0.0.1", dest.port)},
            preload=files,
        ) as dcmqrscp,
    ):
        store_all(ours.port, data)
        yield World(data, ours, dest, storescp, received, dcmqrscp, tmp)


def _find(port: int, ae_title: str, identifier: Dataset, model: str = "S") -> list[Dataset]:
    ae = scu_ae()
    assoc = ae.associate("127.0.0.1", port, ae_title=ae_title)
    assert assoc.is_established
    try:
        results = list(assoc.send_c_find(identifier, model))
    finally:
        assoc.release()
    statuses = [int(status.Status) for status, _ in results]
    assert statuses[-1] == 0x0000, [hex(s) for s in statuses]
    assert all(s in (0xFF00, 0xFF01) for s in statuses[:-1])
    return [identifier for _, identifier in results[:-1] if identifier is not None]


# -- DCMTK SCUs against our qrscp ---------------------------------------------------------


def test_findscu_finds_studies_in_our_qrscp(world: World, tmp_path: Path) -> None:
    out = tmp_path / "find"
    out.mkdir()
    result = run_dcmtk(
        "findscu", "-S", "-X", "-od", str(out), "-aec", "QRSCP",
        "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID", "-k", "PatientName=Doe*",
        "-k", "StudyDate", "127.0.0.1", str(world.ours.port),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    found = {str(ds.StudyInstanceUID) for ds in read_responses(out)}
    expected = {str(ds.StudyInstanceUID) for ds in world.data if ds.PatientID == "PID001"}
    assert found == expected and len(found) == 2


def test_getscu_retrieves_a_series_from_our_qrscp(world: World, tmp_path: Path) -> None:
    series = str(world.data[0].SeriesInstanceUID)
    wanted = [ds for ds in world.data if ds.SeriesInstanceUID == series]
    result = run_dcmtk(
        "getscu", "-S", "-od", str(tmp_path), "-aec", "QRSCP",
        "-k", "QueryRetrieveLevel=SERIES",
        "-k", f"StudyInstanceUID={world.data[0].StudyInstanceUID}",
        "-k", f"SeriesInstanceUID={series}", "127.0.0.1", str(world.ours.port),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    got = {str(ds.SOPInstanceUID): ds for ds in map(dcmread, tmp_path.glob("*"))}
    assert set(got) == {str(ds.SOPInstanceUID) for ds in wanted}
    for ds in wanted:
        assert got[str(ds.SOPInstanceUID)].PixelData == ds.PixelData


def test_movescu_moves_a_study_from_our_qrscp_to_storescp(world: World) -> None:
    study = str(world.data[-1].StudyInstanceUID)
    wanted = {str(ds.SOPInstanceUID) for ds in world.data if ds.StudyInstanceUID == study}
    result = run_dcmtk(
        "movescu", "-S", "-aec", "QRSCP", "-aem", "STORESCP",
        "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}",
        "127.0.0.1", str(world.ours.port),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    got = {str(dcmread(p).SOPInstanceUID) for p in world.storescp_dir.iterdir()}
    assert wanted <= got


def test_movescu_to_an_unknown_destination_is_refused(world: World) -> None:
    result = run_dcmtk(
        "movescu", "-v", "-S", "-aec", "QRSCP", "-aem", "NOWHERE",
        "-k", "QueryRetrieveLevel=STUDY",
        "-k", f"StudyInstanceUID={world.data[0].StudyInstanceUID}",
        "127.0.0.1", str(world.ours.port),
    )  # fmt: skip
    log = result.stdout + result.stderr
    assert "Final Move Response (Refused: MoveDestinationUnknown)" in log, log


# -- our SCU against dcmqrscp ---------------------------------------------------------------


def test_our_find_against_dcmqrscp(world: World) -> None:
    found = _find(
        world.dcmqrscp.port,
        "DCMQRSCP",
        query("SERIES", StudyInstanceUID=str(world.data[0].StudyInstanceUID),
              SeriesInstanceUID="", Modality="CT"),
    )  # fmt: skip
    expected = {
        str(ds.SeriesInstanceUID)
        for ds in world.data
        if ds.StudyInstanceUID == world.data[0].StudyInstanceUID and ds.Modality == "CT"
    }
    assert {str(ds.SeriesInstanceUID) for ds in found} == expected


def test_our_get_against_dcmqrscp(world: World) -> None:
    study = world.data[0].StudyInstanceUID
    wanted = {str(ds.SOPInstanceUID): ds for ds in world.data if ds.StudyInstanceUID == study}
    collector = Collector()
    ae = scu_ae()
    assoc = ae.associate(
        "127.0.0.1", world.dcmqrscp.port, ae_title="DCMQRSCP",
        ext_neg=get_roles(), evt_handlers=collector.handler(),
    )  # fmt: skip
    assert assoc.is_established
    try:
        results = list(assoc.send_c_get(query("STUDY", StudyInstanceUID=str(study)), "S"))
    finally:
        assoc.release()
    final = results[-1][0]
    assert final.Status == 0x0000
    assert final.NumberOfCompletedSuboperations == len(wanted)
    assert set(collector.received) == set(wanted)
    for uid, ds in collector.received.items():
        assert ds.PixelData == wanted[uid].PixelData


def test_our_move_from_dcmqrscp_to_our_qrscp(world: World) -> None:
    study = str(world.data[-1].StudyInstanceUID)
    wanted = {str(ds.SOPInstanceUID) for ds in world.data if ds.StudyInstanceUID == study}
    ae = scu_ae()
    assoc = ae.associate("127.0.0.1", world.dcmqrscp.port, ae_title="DCMQRSCP")
    assert assoc.is_established
    try:
        results = list(assoc.send_c_move(query("STUDY", StudyInstanceUID=study), "QRDEST", "S"))
    finally:
        assoc.release()
    assert results[-1][0].Status == 0x0000
    assert results[-1][0].NumberOfCompletedSuboperations == len(wanted)
    identifier = query("STUDY", StudyInstanceUID=study)
    stored = world.dest.scp.index.instances(parse_query(identifier, InformationModel.STUDY_ROOT))
    assert {i.sop_instance_uid for i in stored} == wanted


# -- the same queries against both ---------------------------------------------------------


def _queries(world: World) -> list[tuple[str, str, Dataset]]:
    """(name, model, identifier): every matching kind of PS3.4 C.2.2.2."""
    studies = sorted({str(ds.StudyInstanceUID) for ds in world.data})
    first = world.data[0]
    return [
        ("universal", "S", query("STUDY", StudyInstanceUID="")),
        ("single value", "S", query("STUDY", StudyInstanceUID="", AccessionNumber="ACC0002")),
        ("wildcard *", "S", query("STUDY", StudyInstanceUID="", PatientName="Doe*")),
        ("wildcard ?", "S", query("STUDY", StudyInstanceUID="", PatientName="R?e^Jan?")),
        ("date range", "S", query("STUDY", StudyInstanceUID="", StudyDate="20200101-20211231")),
        ("date upper", "S", query("STUDY", StudyInstanceUID="", StudyDate="-20201231")),
        ("date lower", "S", query("STUDY", StudyInstanceUID="", StudyDate="20210620-")),
        ("time range", "S", query("STUDY", StudyInstanceUID="", StudyTime="100000-150000")),
        ("uid list", "S", query("STUDY", StudyInstanceUID=f"{studies[0]}\\{studies[2]}")),
        ("no match", "S", query("STUDY", StudyInstanceUID="", AccessionNumber="NOPE")),
        (
            "series",
            "S",
            query(
                "SERIES",
                StudyInstanceUID=str(first.StudyInstanceUID),
                SeriesInstanceUID="",
                Modality="CT",
            ),
        ),
        (
            "image",
            "S",
            query(
                "IMAGE",
                StudyInstanceUID=str(first.StudyInstanceUID),
                SeriesInstanceUID=str(first.SeriesInstanceUID),
                SOPInstanceUID="",
            ),
        ),
        ("patient wildcard", "P", query("PATIENT", PatientID="PID00*", PatientName="")),
        ("patient single", "P", query("PATIENT", PatientID="", PatientName="Roe^Jane")),
        ("patient root study", "P", query("STUDY", PatientID="PID001", StudyInstanceUID="")),
    ]


_UNIQUE = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}


def test_same_queries_same_matches_as_dcmqrscp(world: World) -> None:
    compared = 0
    for name, model, identifier in _queries(world):
        key = _UNIQUE[identifier.QueryRetrieveLevel]
        ours = {str(ds.get(key)) for ds in _find(world.ours.port, "QRSCP", identifier, model)}
        theirs = {
            str(ds.get(key)) for ds in _find(world.dcmqrscp.port, "DCMQRSCP", identifier, model)
        }
        assert ours == theirs, f"{name}: ours {sorted(ours)} vs dcmqrscp {sorted(theirs)}"
        compared += 1 if ours else 0
    assert compared >= 12  # the comparison is not vacuous: most queries match something
