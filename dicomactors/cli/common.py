"""What every ``dicomactors`` tool shares: DCMTK's option names, exit codes, one-line errors.

The options are the ones people type from memory from DCMTK's tools: ``HOST PORT``
positional, ``-aet`` (calling AE title), ``-aec`` (called AE title), ``-pdu`` (the largest PDU
we receive), ``-to``/``-ta``/``-td`` (connection, ACSE and DIMSE timeouts), ``+tls KEY CERT``,
``+tla`` (TLS without a certificate of ours), ``+cf CA`` (a certificate to trust), ``-ic``
(do not verify the peer's certificate), ``-v``, ``-d``, ``--log-pdus DIR``. Every failure a
user can cause ends in :class:`ToolError`: one line on stderr and its documented
:class:`Exit` code, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import ssl
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn

from tqdm import tqdm

from dicomactors._logging import PDU_LOGGER_NAME, log_pdus
from dicomactors.ae import AE
from dicomactors.association import Association
from dicomactors.describe import rejection_text
from dicomactors.status import Service, StatusCategory, status_category, status_description


class Exit(IntEnum):
    """The exit status of every tool (``dicomactors TOOL --help`` lists them)."""

    OK = 0
    USAGE = 1  # a bad option, argument or -k key
    INPUT = 2  # a bad or missing file to send, an unusable directory
    UNREACHABLE = 3  # no connection: peer down, unknown host, cannot listen
    REJECTED = 4  # A-ASSOCIATE-RJ, or no presentation context accepted
    ABORTED = 5  # A-ABORT, or the peer closed the connection
    TIMED_OUT = 6  # no answer within -ta (association) or -td (DIMSE)
    FAILED = 7  # the peer answered with a failure status (or some files failed)


EXIT_CODES_HELP = (
    "exit status: 0 success; 1 bad option or -k key; 2 bad or missing file or directory;"
    " 3 no connection (peer down, unknown host, TLS handshake failed, cannot listen);"
    " 4 association rejected, or no presentation context accepted; 5 aborted or connection"
    " closed; 6 timed out (-ta, -td); 7 a failure status from the peer"
)


class ToolError(Exception):
    """A failure the user can act on: one line, one exit code."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ToolParser(argparse.ArgumentParser):
    """With ``tool=True``, DCMTK's habit: options start with ``-`` or ``+``, no abbreviations,
    and a usage error is one line with exit status 1. Without it (the sub-commands other
    packages add, such as ``validate``), a plain :class:`argparse.ArgumentParser`."""

    def __init__(self, *args: Any, tool: bool = False, **kwargs: Any) -> None:
        if tool:
            kwargs.setdefault("prefix_chars", "-+")
            kwargs.setdefault("allow_abbrev", False)
        self.tool = tool
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        if not self.tool:
            super().error(message)
        self.exit(Exit.USAGE, f"{self.prog}: error: {message}\n")


# -- options --------------------------------------------------------------------------


def add_common_options(parser: argparse.ArgumentParser, *, calling: str) -> None:
    """-aet, -pdu, the timeouts, TLS, -v and -d."""
    _add_association_options(parser, calling=calling)
    _add_tls_options(parser)
    _add_logging_options(parser)


def _add_association_options(parser: argparse.ArgumentParser, *, calling: str) -> None:
    """-aet, -pdu and the timeouts -to, -ta, -td."""
    parser.add_argument(
        "-aet",
        "--aetitle",
        dest="aet",
        default=calling,
        metavar="AET",
        help=f"our (calling) AE title (default {calling})",
    )
    parser.add_argument(
        "-pdu",
        "--max-pdu",
        dest="max_pdu",
        type=_pdu,
        default=16382,
        metavar="N",
        help="the largest PDU we receive (default 16382)",
    )
    parser.add_argument(
        "-to",
        "--timeout",
        dest="connect_timeout",
        type=_seconds,
        default=None,
        metavar="S",
        help="connection timeout in seconds (default: the system's)",
    )
    parser.add_argument(
        "-ta",
        "--acse-timeout",
        dest="acse_timeout",
        type=_seconds,
        default=30.0,
        metavar="S",
        help="ACSE timeout in seconds (default 30)",
    )
    parser.add_argument(
        "-td",
        "--dimse-timeout",
        dest="dimse_timeout",
        type=_seconds,
        default=30.0,
        metavar="S",
        help="DIMSE timeout in seconds (default 30)",
    )


def _add_tls_options(parser: argparse.ArgumentParser) -> None:
    """+tls, +tla, +cf and -ic, in their own help group."""
    tls = parser.add_argument_group("TLS")
    tls.add_argument(
        "+tls",
        "--enable-tls",
        dest="tls",
        nargs=2,
        metavar=("KEY", "CERT"),
        help="use TLS with this private key and certificate (PEM)",
    )
    tls.add_argument(
        "+tla",
        "--anonymous-tls",
        dest="anonymous_tls",
        action="store_true",
        help="use TLS without a certificate of ours",
    )
    tls.add_argument(
        "+cf",
        "--add-cert-file",
        dest="ca",
        action="append",
        default=[],
        metavar="FILE",
        help="trust the certificates in FILE (PEM; repeatable)",
    )
    tls.add_argument(
        "-ic",
        "--ignore-peer-cert",
        dest="ignore_peer_cert",
        action="store_true",
        help="do not verify the peer's certificate (by default it must chain to a +cf"
        " certificate or to the system's trusted ones)",
    )


def _add_logging_options(parser: argparse.ArgumentParser) -> None:
    """-v, -d and --log-pdus."""
    parser.add_argument("-v", "--verbose", action="store_true", help="say what happens")
    parser.add_argument("-d", "--debug", action="store_true", help="log everything")
    parser.add_argument("--log-pdus", type=Path, default=None, metavar="DIR",
                        help="write each association's raw PDUs to files in DIR")  # fmt: skip


def add_peer_options(parser: argparse.ArgumentParser, *, called: str = "ANY-SCP") -> None:
    """HOST PORT and -aec, then the common options."""
    parser.add_argument("host", help="the peer's host name or address")
    parser.add_argument("port", type=_port, help="the peer's TCP port")
    parser.add_argument(
        "-aec",
        "--call",
        dest="aec",
        default=called,
        metavar="AET",
        help=f"the peer's (called) AE title (default {called})",
    )
    add_common_options(parser, calling="DICOMACTORS")


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1-65535)")
    return int(text)


def _pdu(text: str) -> int:
    if not text.isdigit() or not (int(text) == 0 or 4096 <= int(text) <= 131072 * 128):
        raise argparse.ArgumentTypeError(f"{text!r} is not a PDU length (0, or 4096 or more)")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


@contextmanager
def tool_logging(args: argparse.Namespace) -> Iterator[None]:
    """-d: the library's debug log; -v: its notices; else only this tool's own lines; and
    --log-pdus. The loggers are as they were again afterwards (a tool run in-process)."""
    logger = logging.getLogger("dicomactors")
    pdu_logger = logging.getLogger(PDU_LOGGER_NAME)
    saved = (logger.level, logger.propagate, pdu_logger.level, list(pdu_logger.handlers))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname).1s: %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    if args.debug:
        logger.setLevel(logging.DEBUG)
    elif args.verbose:
        logger.setLevel(logging.INFO)
    else:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        if args.log_pdus is not None:
            try:
                log_pdus(args.log_pdus)
            except OSError as error:
                message = f"cannot write PDU logs to {args.log_pdus}: {error}"
                raise ToolError(Exit.INPUT, message) from None
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        pdu_logger.setLevel(saved[2])
        for added in [h for h in pdu_logger.handlers if h not in saved[3]]:
            pdu_logger.removeHandler(added)


def make_ae(args: argparse.Namespace) -> AE:
    ae = AE(args.aet)
    ae.acse_timeout = args.acse_timeout
    ae.dimse_timeout = args.dimse_timeout
    ae.connection_timeout = args.connect_timeout
    ae.maximum_pdu_size = args.max_pdu
    return ae


def client_tls(args: argparse.Namespace) -> tuple[ssl.SSLContext, str | None] | None:
    """The TLS context ``+tls``/``+tla``/``+cf`` ask for, or None."""
    if not (args.tls or args.anonymous_tls):
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.check_hostname = False
    try:
        for ca in args.ca:
            context.load_verify_locations(ca)
        if args.tls:
            context.load_cert_chain(args.tls[1], args.tls[0])
    except (OSError, ssl.SSLError) as error:
        raise ToolError(Exit.INPUT, f"cannot load the TLS files: {error}") from None
    if args.ignore_peer_cert:
        context.verify_mode = ssl.CERT_NONE
    return context, None


def server_tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.tls:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(args.tls[1], args.tls[0])
        for ca in args.ca:
            context.load_verify_locations(ca)
    except (OSError, ssl.SSLError) as error:
        raise ToolError(Exit.INPUT, f"cannot load the TLS files: {error}") from None
    if args.ca and not args.ignore_peer_cert:
        context.verify_mode = ssl.CERT_REQUIRED
    return context


# -- the association ------------------------------------------------------------------


def rejection(assoc: Association) -> str:
    return rejection_text(assoc.result, assoc.result_source, assoc.result_reason)


def associate(ae: AE, args: argparse.Namespace, **kwargs: Any) -> Association:
    """An established association with the peer, or a :class:`ToolError` saying why not."""
    where = f"{args.host}:{args.port} ({args.aec})"
    started = time.monotonic()
    try:
        assoc = ae.associate(
            args.host,
            args.port,
            ae_title=args.aec,
            max_pdu=args.max_pdu,
            tls_args=client_tls(args),
            **kwargs,
        )
    except (ValueError, TypeError) as error:
        raise ToolError(Exit.USAGE, str(error)) from None
    if assoc.is_established:
        if not assoc.accepted_contexts:
            assoc.release()
            raise ToolError(Exit.REJECTED, f"{where} accepted no presentation context")
        return assoc
    assoc.join(5)
    if assoc.is_rejected:
        raise ToolError(Exit.REJECTED, f"{where} rejected the association {rejection(assoc)}")
    reason = assoc.close_reason
    if reason.startswith("connection failed"):
        raise ToolError(Exit.UNREACHABLE, f"cannot connect to {where}: {_after_colon(reason)}")
    waited = time.monotonic() - started >= args.acse_timeout
    if "ARTIM" in reason or (waited and not reason):
        raise ToolError(
            Exit.TIMED_OUT,
            f"{where} did not answer the association request in {args.acse_timeout:g} s",
        )
    raise ToolError(Exit.ABORTED, f"{where} ended the association request: {reason or 'aborted'}")


def _after_colon(reason: str) -> str:
    return reason.split(": ", 1)[-1]


def lost(
    assoc: Association, args: argparse.Namespace, doing: str, since: float | None = None
) -> ToolError:
    """The error for an association that ended while ``doing`` something, waiting for an
    answer since ``since`` (``time.monotonic()``): the DIMSE timeout ends a wait by aborting."""
    assoc.join(5)
    where = f"{args.host}:{args.port}"
    if since is not None and time.monotonic() - since >= args.dimse_timeout:
        return ToolError(
            Exit.TIMED_OUT, f"{where}: no answer to {doing} in {args.dimse_timeout:g} s"
        )
    if assoc.is_aborted and assoc.abort_pdu is not None:
        return ToolError(Exit.ABORTED, f"{where} aborted the association during {doing}")
    why = assoc.close_reason or "the association ended"
    return ToolError(Exit.ABORTED, f"{where}: {why} during {doing}")


def status_text(code: int, service: Service) -> str:
    return f"0x{code:04X} {status_description(code, service)}"


def progress_bar(args: argparse.Namespace, **options: Any) -> tqdm[Any]:
    """A tqdm bar on stderr, shown only on a terminal (and not with --json or
    --no-progress); sized by the terminal, or 80x24 where it reports no size (a new pty,
    where tqdm would draw nothing)."""
    quiet = args.json or args.no_progress or not sys.stderr.isatty()
    size = shutil.get_terminal_size()
    return tqdm(disable=quiet, file=sys.stderr, ncols=size.columns, nrows=size.lines, **options)


def is_failure(code: int) -> bool:
    return status_category(code) is StatusCategory.FAILURE


def run_tool(body: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a tool's body: a :class:`ToolError` or Ctrl-C becomes one line and its code."""
    try:
        with tool_logging(args):
            return int(body(args))
    except ToolError as error:
        print(f"dicomactors {args.command}: {error.message}", file=sys.stderr)
        return int(error.code)
    except KeyboardInterrupt:
        print(f"dicomactors {args.command}: interrupted", file=sys.stderr)
        return 130


def join_words(items: Sequence[str]) -> str:
    return ", ".join(items)
