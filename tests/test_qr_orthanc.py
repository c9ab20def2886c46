"""Query/Retrieve against Orthanc: our SCU finds, moves and gets 100 instances from it, and
Orthanc as SCU stores to and queries the reference qrscp (through Orthanc's REST API)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid

from dicomactors.apps.qrscp import RunningQRSCP
from dicomactors.qr import InformationModel, parse_query
from harness import systems
from harness.systems import OrthancRest, SystemUnderTest
from tests.test_qr_support import (
    PREFIX,
    Collector,
    get_roles,
    instance,
    query,
    running_qrscp,
    scu_ae,
    skip_unless,
)

pytestmark = pytest.mark.timeout(180)
COUNT = 100


@dataclass
class World:
    orthanc: SystemUnderTest
    rest: OrthancRest
    qrscp: RunningQRSCP
    study_uid: str
    pixels: dict[str, bytes]  # SOP Instance UID -> the pixel data Orthanc was given


def _post_json(rest: OrthancRest, path: str, body: Any) -> Any:
    request = urllib.request.Request(
        rest.base + path, data=json.dumps(body).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def _get_json(rest: OrthancRest, path: str) -> Any:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(rest.base + path, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    skip_unless("orthanc")
    tmp = tmp_path_factory.mktemp("qr-orthanc")
    with running_qrscp(tmp / "qrscp", "QRSCP") as qrscp:
        modalities = {
            "qrscp": ("QRSCP", "127.0.0.1", qrscp.port),
            "dascu": ("DASCU", "127.0.0.1", qrscp.port),
        }
        with systems.orthanc("ORTHANC", modalities) as orthanc:
            rest = OrthancRest.of(orthanc)
            study = (generate_uid(PREFIX), "20230405", "120000", "ACC0100")
            series = (generate_uid(PREFIX), "CT", 1)
            pixels = {}
            for number in range(COUNT):
                ds = instance(("Big^Study", "PID100"), study, series, number + 1)
                buffer = BytesIO()
                ds.save_as(buffer, enforce_file_format=True)
                rest.upload(buffer.getvalue())
                pixels[str(ds.SOPInstanceUID)] = bytes(ds.PixelData)
            yield World(orthanc, rest, qrscp, study[0], pixels)


def _associate(world: World, **kwargs: Any) -> Any:
    assoc = scu_ae("DASCU").associate("127.0.0.1", world.orthanc.port, ae_title="ORTHANC", **kwargs)
    assert assoc.is_established
    return assoc


def test_find_in_orthanc(world: World) -> None:
    assoc = _associate(world)
    try:
        studies = list(
            assoc.send_c_find(query("STUDY", StudyInstanceUID="", PatientID="PID1*"), "S")
        )
        images = list(
            assoc.send_c_find(
                query("IMAGE", StudyInstanceUID=world.study_uid, SeriesInstanceUID="",
                      SOPInstanceUID=""),
                "S",
            )
        )  # fmt: skip
    finally:
        assoc.release()
    assert studies[-1][0].Status == 0x0000
    assert [str(i.StudyInstanceUID) for _, i in studies[:-1] if i is not None] == [world.study_uid]
    assert images[-1][0].Status == 0x0000
    assert {str(i.SOPInstanceUID) for _, i in images[:-1] if i is not None} == set(world.pixels)


def test_move_100_from_orthanc_to_our_qrscp(world: World) -> None:
    assoc = _associate(world)
    try:
        results = list(
            assoc.send_c_move(query("STUDY", StudyInstanceUID=world.study_uid), "QRSCP", "S")
        )
    finally:
        assoc.release()
    final = results[-1][0]
    assert final.Status == 0x0000, final
    stored = world.qrscp.scp.index.instances(
        parse_query(query("STUDY", StudyInstanceUID=world.study_uid), InformationModel.STUDY_ROOT)
    )
    assert len(stored) == COUNT
    for item in stored:
        assert item.path.is_relative_to(world.qrscp.scp.storage_dir)
        assert dcmread(item.path).PixelData == world.pixels[item.sop_instance_uid]


def test_get_100_from_orthanc(world: World) -> None:
    collector = Collector()
    assoc = _associate(world, ext_neg=get_roles(), evt_handlers=collector.handler())
    try:
        results = list(assoc.send_c_get(query("STUDY", StudyInstanceUID=world.study_uid), "S"))
    finally:
        assoc.release()
    assert results[-1][0].Status == 0x0000, results[-1][0]
    assert len(collector.received) == COUNT
    for uid, ds in collector.received.items():
        assert ds.PixelData == world.pixels[uid]


def test_orthanc_as_scu_stores_to_and_queries_our_qrscp(world: World, tmp_path: Path) -> None:
    ids = world.rest.instances()[:5]
    _post_json(world.rest, "/modalities/qrscp/store", ids)
    uids = {_get_json(world.rest, f"/instances/{i}/simplified-tags")["SOPInstanceUID"] for i in ids}
    stored = world.qrscp.scp.index.instances(
        parse_query(query("IMAGE", SOPInstanceUID="\\".join(sorted(uids))),
                    InformationModel.STUDY_ROOT)
    )  # fmt: skip
    assert {i.sop_instance_uid for i in stored} == uids

    answer = _post_json(
        world.rest,
        "/modalities/qrscp/query",
        {"Level": "Study", "Query": {"StudyInstanceUID": world.study_uid, "PatientID": ""}},
    )
    answers = _get_json(world.rest, f"/queries/{answer['ID']}/answers")
    assert len(answers) == 1
    content = _get_json(world.rest, f"/queries/{answer['ID']}/answers/0/content?simplify")
    assert content["StudyInstanceUID"] == world.study_uid
    assert content["PatientID"] == "PID100"
