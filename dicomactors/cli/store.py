"""``dicomactors store HOST PORT PATH...``: C-STORE files, as DCMTK's ``storescu`` (PS3.4 B).

PATHs are DICOM files (PS3.10, with File Meta Information), directories (with ``+r``:
every file under them) and globs (``'scans/*.dcm'``, ``'scans/**/*.dcm'`` with ``+r``),
for shells that did not expand them. Each file goes as stored, on one association that
proposes a context per SOP class found. A progress bar shows on a terminal; at the end a
summary (sent, failed, rate, statuses other than Success), or with ``--json`` one JSON
object. Exit status 0 when every file was sent with Success or a Warning, 7 when some
failed (status or bad file), 2 when no file could be read at all.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from tqdm import tqdm

from dicomactors.ae import AE
from dicomactors.association import Association
from dicomactors.cli.common import (
    EXIT_CODES_HELP,
    Exit,
    ToolError,
    add_peer_options,
    associate,
    is_failure,
    lost,
    make_ae,
    progress_bar,
    run_tool,
    status_text,
)
from dicomactors.presentation import MAX_PRESENTATION_CONTEXTS
from dicomactors.status import Service

MIB = 1024 * 1024


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "store", help="send DICOM files (like storescu)", description=__doc__,
        epilog=EXIT_CODES_HELP, tool=True,
    )  # fmt: skip
    add_peer_options(parser)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, directories, globs")
    parser.add_argument(
        "+r",
        "--recursive",
        action="store_true",
        help="send the files under directories, and let ** match in globs",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=lambda args: run_tool(store, args))


# -- which files ----------------------------------------------------------------------


@dataclass(frozen=True)
class DicomFile:
    path: Path
    sop_class: str
    transfer_syntax: str
    size: int


@dataclass
class Summary:
    """What a run did, for the human summary and ``--json``."""

    files: int = 0
    sent: int = 0
    bytes_sent: int = 0
    seconds: float = 0.0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    not_sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)  # non-success status -> count

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "sent": self.sent,
            "failed": len(self.failed),
            "not_sent": self.not_sent,
            "bytes": self.bytes_sent,
            "seconds": round(self.seconds, 3),
            "files_per_second": round(self.sent / self.seconds, 1) if self.seconds else None,
            "statuses": {f"0x{code:04X}": count for code, count in sorted(self.statuses.items())},
            "failures": [{"path": path, "reason": why} for path, why in self.failed],
        }

    def lines(self) -> list[str]:
        rate = ""
        if self.seconds > 0 and self.sent:
            rate = (
                f": {self.sent / self.seconds:.1f} files/s,"
                f" {self.bytes_sent / MIB / self.seconds:.2f} MiB/s"
            )
        out = [
            f"sent {self.sent} of {self.files} files ({self.bytes_sent / MIB:.2f} MiB)"
            f" in {self.seconds:.2f} s{rate}",
            f"failed {len(self.failed)}" + (f", not sent {self.not_sent}" if self.not_sent else ""),
        ]
        out += [
            f"  {count} x {status_text(code, Service.STORAGE)}"
            for code, count in sorted(self.statuses.items())
        ]
        out += [f"  {path}: {why}" for path, why in self.failed[:20]]
        if len(self.failed) > 20:
            out.append(f"  ... and {len(self.failed) - 20} more")
        return out


def collect_paths(patterns: list[str], recursive: bool) -> list[Path]:
    """The files the command line names, in order, each once."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            if not recursive:
                raise ToolError(
                    Exit.INPUT, f"{pattern} is a directory: add +r to send what is in it"
                )
            found.update(dict.fromkeys(sorted(p for p in path.rglob("*") if p.is_file())))
        elif path.is_file():
            found[path] = None
        elif glob.has_magic(pattern):
            matches = sorted(Path(p) for p in glob.glob(pattern, recursive=recursive))
            files = [p for p in matches if p.is_file()]
            if not files:
                raise ToolError(Exit.INPUT, f"no file matches {pattern}")
            found.update(dict.fromkeys(files))
        else:
            raise ToolError(Exit.INPUT, f"no such file or directory: {pattern}")
    return list(found)


def read_headers(paths: list[Path], summary: Summary) -> list[DicomFile]:
    """Each file's SOP class and transfer syntax from its File Meta Information; a file
    without one is a failure of its own."""
    files = []
    for path in paths:
        try:
            meta = read_file_meta_info(path)
            files.append(
                DicomFile(
                    path,
                    str(meta.MediaStorageSOPClassUID),
                    str(meta.TransferSyntaxUID),
                    path.stat().st_size,
                )
            )
        except (InvalidDicomError, AttributeError, OSError, ValueError, EOFError) as error:
            why = "not a DICOM file" if isinstance(error, InvalidDicomError) else str(error)
            summary.failed.append((str(path), why or type(error).__name__))
    return files


def request_contexts(ae: AE, files: list[DicomFile]) -> None:
    """A context per SOP class with its uncompressed syntaxes, and one per compressed
    (SOP class, syntax) pair: a file goes in its own syntax when the peer takes it."""
    uncompressed: dict[str, list[str]] = {}
    compressed: dict[tuple[str, str], None] = {}
    for file in files:
        if UID(file.transfer_syntax).is_compressed:
            compressed[(file.sop_class, file.transfer_syntax)] = None
        else:
            syntaxes = uncompressed.setdefault(file.sop_class, [])
            if file.transfer_syntax not in syntaxes:
                syntaxes.append(file.transfer_syntax)
    wanted = len(uncompressed) + len(compressed)
    if wanted > MAX_PRESENTATION_CONTEXTS:
        raise ToolError(
            Exit.INPUT,
            f"these files need {wanted} presentation contexts, more than the"
            f" {MAX_PRESENTATION_CONTEXTS} of one association: send them in parts",
        )
    for sop_class, syntaxes in uncompressed.items():
        for fallback in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):
            if fallback not in syntaxes:
                syntaxes.append(fallback)
        ae.add_requested_context(sop_class, syntaxes)
    for sop_class, syntax in compressed:
        ae.add_requested_context(sop_class, [syntax])


# -- sending --------------------------------------------------------------------------


def store(args: argparse.Namespace) -> int:
    summary = Summary()
    paths = collect_paths(args.paths, args.recursive)
    files = read_headers(paths, summary)
    summary.files = len(paths)
    if not files:
        why = f": {summary.failed[0][1]}" if len(summary.failed) == 1 else ""
        raise ToolError(Exit.INPUT, f"none of the {len(paths)} files is a DICOM file{why}")
    ae = make_ae(args)
    request_contexts(ae, files)
    error: ToolError | None = None
    try:
        assoc = associate(ae, args)
        try:
            error = _send_all(assoc, files, args, summary)
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        ae.shutdown()
    _report(summary, args)
    if error is not None:
        raise error
    return Exit.FAILED if summary.failed else Exit.OK


def _send_all(
    assoc: Association, files: list[DicomFile], args: argparse.Namespace, summary: Summary
) -> ToolError | None:
    """Send each file; the error that ended the association early, if one did."""
    started = time.monotonic()
    with progress_bar(args, total=len(files), unit="file") as bar:
        for number, file in enumerate(files, start=1):
            if not assoc.is_established:
                summary.not_sent = len(files) - number + 1
                summary.seconds = time.monotonic() - started
                return lost(assoc, args, f"C-STORE of {file.path}")
            sending = time.monotonic()
            try:
                answer = assoc.send_c_store(file.path, msg_id=number & 0xFFFF)
            except ValueError as why:
                summary.failed.append((str(file.path), str(why)))
                bar.update()
                continue
            except RuntimeError:
                answer = None
            if answer is None or "Status" not in answer:
                summary.not_sent = len(files) - number + 1
                summary.seconds = time.monotonic() - started
                return lost(assoc, args, f"C-STORE of {file.path}", sending)
            code = int(answer.Status)
            if code != 0:
                summary.statuses[code] += 1
            if is_failure(code):
                summary.failed.append((str(file.path), status_text(code, Service.STORAGE)))
            else:
                summary.sent += 1
                summary.bytes_sent += file.size
            if args.verbose:
                tqdm.write(f"{file.path}: 0x{code:04X}", file=sys.stderr)
            bar.update()
    summary.seconds = time.monotonic() - started
    return None


def _report(summary: Summary, args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2))
    else:
        print("\n".join(summary.lines()))
