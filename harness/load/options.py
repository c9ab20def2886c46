"""The DICOM options of a load run, shared by Locust's parser (harness/load/hooks.py) and
``dicomactors load`` (harness/load/cli.py), which passes them on to Locust.

This module does not import Locust: importing Locust monkey-patches the process.
"""

from __future__ import annotations

from typing import Any

INTEGRITY_METHODS = ("none", "find", "get", "folder")


def add_dicom_arguments(group: Any) -> list[Any]:
    """Add the DICOM options to ``group`` (argparse or configargparse); return the actions."""
    add = group.add_argument
    return [
        add("--called-aet", default="ANY-SCP", help="the node's AE title"),
        add("--calling-aet", default="LOAD", help="our AE title"),
        add(
            "--services",
            default="store",
            help="task mix as SERVICE[:WEIGHT],...: echo, store, find, get, move (default: store)",
        ),
        add(
            "--association",
            choices=("task", "user"),
            default="task",
            help="one association per task (default), or one kept per user",
        ),
        add("--max-pdu", type=int, default=16382, help="maximum PDU size we receive"),
        add(
            "--dicom-timeout",
            type=float,
            default=30.0,
            help="ACSE, DIMSE, network and connection timeout, in seconds",
        ),
        add(
            "--instance-bytes",
            type=int,
            default=16384,
            help="pixel data bytes of each generated instance",
        ),
        add("--store-folder", default="", help="store the files under this folder instead"),
        add("--find-key", action="append", help="C-FIND key KEYWORD=VALUE (repeatable)"),
        add(
            "--retrieve-key",
            action="append",
            help="C-GET/C-MOVE key KEYWORD=VALUE (repeatable; default: the user's study)",
        ),
        add("--move-destination", default="", help="C-MOVE destination AE title"),
        add("--dicom-tls-ca", default="", help="TLS: the CA certificates to trust"),
        add("--dicom-tls-cert", default="", help="TLS: our certificate"),
        add("--dicom-tls-key", default="", help="TLS: our private key"),
        add("--dicom-tls-hostname", default=None, help="TLS: the node's name to verify"),
        add(
            "--integrity",
            choices=INTEGRITY_METHODS,
            default="none",
            help="after the run, look for every stored instance: by C-FIND, by C-GET, or in"
            " the folder the node writes to",
        ),
        add("--integrity-folder", default="", help="for --integrity folder: that folder"),
        add("--integrity-report", default="", help="write the integrity report (JSON) here"),
    ]
