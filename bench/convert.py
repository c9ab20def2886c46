"""The conversion micro-benchmark: a 512 KiB CT from Explicit to Implicit VR Little Endian.

``dicomactors.transcode`` rewrites the element headers and passes the Pixel
Data through; pydicom reads the data set and writes it again. Both start from
the encoded data set in memory (no File Meta Information) and end with the
data set encoded in the other syntax, ready to send.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import timeit
from pathlib import Path

from pydicom.filereader import read_dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from bench.data import KIB, ct_dataset
from dicomactors.dataset import encode_dataset
from dicomactors.filedata import open_region
from dicomactors.transcode import transcode


def _per_call(func: object, number: int, repeat: int) -> float:
    """Median seconds per call over ``repeat`` timings of ``number`` calls."""
    times = timeit.repeat(func, number=number, repeat=repeat)  # type: ignore[arg-type]
    return statistics.median(times) / number


def convert_timings(repeat: int = 7) -> dict[str, float]:
    """Microseconds per conversion: ours from bytes and from a file region, and pydicom's."""
    data = encode_dataset(ct_dataset(512 * KIB), ExplicitVRLittleEndian)
    source, target = str(ExplicitVRLittleEndian), str(ImplicitVRLittleEndian)

    def pydicom_round_trip() -> bytes:
        ds = read_dataset(io.BytesIO(data), is_implicit_VR=False, is_little_endian=True)
        ds.set_original_encoding(False, True)
        return encode_dataset(ds, target)

    with tempfile.TemporaryDirectory(prefix="dicomactors-bench-") as directory:
        path = Path(directory) / "ct.bin"
        path.write_bytes(data)
        region = open_region(path)
        return {
            "bytes": 1e6 * _per_call(lambda: transcode(data, source, target), 500, repeat),
            "region": 1e6 * _per_call(lambda: transcode(region, source, target), 500, repeat),
            "pydicom": 1e6 * _per_call(pydicom_round_trip, 50, repeat),
        }
