"""Fuzzing the decoders: a parser either succeeds or raises its own error.

Each of the seven PDU decoders gets at least 10,000 examples: random bodies and
mutations of valid PDUs (and of the malformed catalogue), always under that decoder's
PDU type and with a PDU-length field that matches, so the decoder itself is reached.
Anything that decodes must encode again and decode to the same value. The seven
runs are spread over two worker processes: Hypothesis costs most of a millisecond per
example whatever the test does, so one process would need over a minute.

Set ``DICOMACTORS_FUZZ_EXAMPLES`` (e.g. to 500) for a quick local run; the default is
the CI figure.
"""

from __future__ import annotations

import multiprocessing
import os
import struct
import sys
import traceback
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import cast

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AReleaseRP,
    AReleaseRQ,
    MaximumLengthItem,
    PDataTF,
    PDUDecodeError,
    PDUReader,
    PDUType,
    PresentationContextACItem,
    PresentationDataValue,
    RoleSelectionItem,
    SOPClassCommonExtendedNegotiationItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
    decode_pdu,
    encode_pdu,
)
from harness.malformed import MALFORMED_CASES, valid_associate_rq, valid_p_data_tf

EXAMPLES_PER_DECODER = int(os.environ.get("DICOMACTORS_FUZZ_EXAMPLES", "10000"))
ABORT_REASONS = frozenset({1, 2, 4, 5, 6})

# No reuse, target or explain phases: they cost time on every example and add nothing
# to a property that only ever fails on a bug.
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_DECODER,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)


def _rich_associate_rq() -> bytes:
    rq = valid_associate_rq()
    extra = (
        RoleSelectionItem("1.2.840.10008.5.1.4.1.1.2", True, True),
        SOPClassExtendedNegotiationItem("1.2.840.10008.5.1.4.1.2.1.1", b"\x01\x01"),
        SOPClassCommonExtendedNegotiationItem("1.2.3", "1.2.4", ("1.2.5",)),
        UserIdentityRQItem(2, True, b"user", b"pass"),
    )
    return encode_pdu(
        type(rq)(
            rq.called_ae_title,
            rq.calling_ae_title,
            rq.presentation_contexts,
            rq.user_information + extra,
        )
    )


def _rich_associate_ac() -> bytes:
    return encode_pdu(
        AAssociateAC(
            "ANY-SCP",
            "HARNESS",
            (
                PresentationContextACItem(1, 0, "1.2.840.10008.1.2"),
                PresentationContextACItem(3, 3, None),
            ),
            (
                MaximumLengthItem(16382),
                RoleSelectionItem("1.2.840.10008.5.1.4.1.1.2", False, True),
                UserIdentityACItem(b"token"),
            ),
        )
    )


def _seeds_for(pdu_type: int, valid: list[bytes]) -> list[bytes]:
    malformed = [case.build() for case in MALFORMED_CASES]
    return valid + [data for data in malformed if data and data[0] == pdu_type]


SEEDS: dict[PDUType, list[bytes]] = {
    PDUType.A_ASSOCIATE_RQ: _seeds_for(
        PDUType.A_ASSOCIATE_RQ, [encode_pdu(valid_associate_rq()), _rich_associate_rq()]
    ),
    PDUType.A_ASSOCIATE_AC: _seeds_for(PDUType.A_ASSOCIATE_AC, [_rich_associate_ac()]),
    PDUType.A_ASSOCIATE_RJ: _seeds_for(PDUType.A_ASSOCIATE_RJ, [encode_pdu(AAssociateRJ(1, 1, 7))]),
    PDUType.P_DATA_TF: _seeds_for(
        PDUType.P_DATA_TF,
        [
            encode_pdu(valid_p_data_tf()),
            encode_pdu(
                PDataTF(
                    (
                        PresentationDataValue(1, True, False, b"\x02\x00" * 5),
                        PresentationDataValue(3, False, True, b"abc"),
                    )
                )
            ),
        ],
    ),
    PDUType.A_RELEASE_RQ: _seeds_for(PDUType.A_RELEASE_RQ, [encode_pdu(AReleaseRQ())]),
    PDUType.A_RELEASE_RP: _seeds_for(PDUType.A_RELEASE_RP, [encode_pdu(AReleaseRP())]),
    PDUType.A_ABORT: _seeds_for(PDUType.A_ABORT, [encode_pdu(AAbort(2, 6))]),
}

# Values that sit on the edges of the length checks.
_INTERESTING = (0, 1, 2, 3, 4, 5, 6, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0xFFFFFFFF)


def mutate(seed: bytes, program: bytes) -> bytearray:
    """Apply the mutations that ``program`` spells to a copy of ``seed``.

    Every 4 bytes are one mutation: operation, position (2 bytes), argument. Hypothesis
    draws the program as one byte string, which keeps each example cheap (the decoders
    need tens of thousands) and still shrinks well: fewer, smaller mutations.
    """
    data = bytearray(seed)
    index = 0
    while index + 4 <= len(program):
        operation, high, low, argument = program[index : index + 4]
        index += 4
        position = ((high << 8) | low) % (len(data) + 1)
        kind = operation % 6
        if kind == 0 and position < len(data):
            data[position] = argument
        elif kind == 1:
            count = argument % 8 + 1
            data[position:position] = program[index : index + count] or b"\x00"
            index += count
        elif kind == 2:
            del data[position : position + argument % 16 + 1]
        elif kind == 3 and position + 2 <= len(data):
            struct.pack_into(">H", data, position, _INTERESTING[argument % 14] & 0xFFFF)
        elif kind == 4 and position + 4 <= len(data):
            struct.pack_into(">I", data, position, _INTERESTING[argument % 14])
        elif kind == 5 and position < len(data):
            data[position] ^= 1 << (argument % 8)
    return data


def framed_input(pdu_type: PDUType, drawn: bytes) -> bytes:
    """A PDU of ``pdu_type`` whose PDU-length field matches, so its decoder is reached.

    The first drawn byte picks the mode: even, the rest is a random body; odd, it picks
    a seed and the rest is a mutation program.
    """
    body: bytes | bytearray = drawn[1:]
    if drawn and drawn[0] % 2 == 1:
        seeds = SEEDS[pdu_type]
        body = mutate(seeds[(drawn[0] >> 1) % len(seeds)], drawn[1:])[6:]
    return struct.pack(">BxI", pdu_type, len(body)) + body


def _check(data: bytes | bytearray) -> None:
    try:
        pdu = decode_pdu(data)
    except PDUDecodeError as error:
        assert 0 <= error.offset <= len(data)
        assert error.abort_reason in ABORT_REASONS
        return
    again = encode_pdu(pdu)
    assert decode_pdu(again) == pdu


def fuzz_decoder(pdu_type: PDUType) -> tuple[int, str | None]:
    """Run the Hypothesis search for one decoder.

    Returns how many inputs the decoder was given and the failure report, if any.
    Module-level so that a worker process can import and run it.
    """
    calls = 0

    @FUZZ_SETTINGS
    @given(st.binary(max_size=320))
    def run(drawn: bytes) -> None:
        nonlocal calls
        calls += 1
        _check(framed_input(pdu_type, drawn))

    try:
        run()
    except BaseException as error:  # reported by the test in the main process
        return calls, "".join(traceback.format_exception(error))
    return calls, None


@pytest.fixture(scope="module")
def decoder_runs(
    request: pytest.FixtureRequest,
) -> Iterator[dict[PDUType, Future[tuple[int, str | None]]]]:
    """Start the selected decoders' runs at once, spread over the machine's cores.

    Seven runs of 10,000 examples are bound by Hypothesis's own per-example cost; in
    one process they would take a minute or more, on two cores about half of that.
    """
    selected = [
        PDUType(cast(int, item.callspec.params["pdu_type"]))
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.originalname == test_decoder_raises_only_its_own_error.__name__
        and item.module is sys.modules[__name__]
    ]
    workers = max(1, min(2, os.cpu_count() or 1, len(selected)))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield {pdu_type: pool.submit(fuzz_decoder, pdu_type) for pdu_type in selected}


@pytest.mark.parametrize("pdu_type", list(PDUType), ids=lambda pdu_type: pdu_type.name)
def test_decoder_raises_only_its_own_error(
    pdu_type: PDUType, decoder_runs: dict[PDUType, Future[tuple[int, str | None]]]
) -> None:
    calls, failure = decoder_runs[pdu_type].result()
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    assert calls >= EXAMPLES_PER_DECODER


_ALL_SEEDS = [seed for seeds in SEEDS.values() for seed in seeds]
_SMALL_SETTINGS = settings(FUZZ_SETTINGS, max_examples=max(EXAMPLES_PER_DECODER // 10, 100))


@_SMALL_SETTINGS
@given(st.binary(max_size=320))
def test_any_bytes_raise_only_our_error(drawn: bytes) -> None:
    # Unframed: wrong PDU-length fields, unknown types, truncated headers.
    if drawn and drawn[0] % 2:
        drawn = bytes(mutate(_ALL_SEEDS[(drawn[0] >> 1) % len(_ALL_SEEDS)], drawn[1:]))
    _check(drawn)


@_SMALL_SETTINGS
@given(st.binary(max_size=320), st.lists(st.integers(1, 64), min_size=1, max_size=8))
def test_reader_raises_only_our_error(drawn: bytes, chunks: list[int]) -> None:
    data = (
        b"".join(bytes(mutate(_ALL_SEEDS[seed % len(_ALL_SEEDS)], drawn[1:])) for seed in drawn[:1])
        + drawn[1:]
    )
    reader = PDUReader()
    position = 0
    index = 0
    try:
        while position < len(data):
            size = chunks[index % len(chunks)]
            for pdu in reader.feed(data[position : position + size]):
                assert decode_pdu(encode_pdu(pdu)) == pdu
            position += size
            index += 1
    except PDUDecodeError as error:
        assert error.abort_reason in ABORT_REASONS
