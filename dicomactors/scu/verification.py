"""The SCU side of the Verification service (PS3.4 A): C-ECHO."""

from __future__ import annotations

from typing import Any

from pydicom import Dataset

from dicomactors.dimse import CEchoRQ
from dicomactors.scu.common import last_response, status_of
from dicomactors.sop_class import Verification


def c_echo(assoc: Any, msg_id: int) -> Dataset:
    assoc._check_established()
    context = assoc._context_for(Verification)
    request = CEchoRQ(message_id=assoc._message_id(msg_id), affected_sop_class_uid=Verification)
    return status_of(last_response(assoc._request(context.context_id, request, None)))
