"""Storage service class SCP: C-STORE (PS3.4 Annex B, PS3.7 9.1.1).

The handler sees the data set decoded on demand (``event.dataset``) or the
bytes as received (``event.encoded_dataset()``), so it can write a file
without decoding and re-encoding.
"""

from __future__ import annotations

from typing import Any

from dicomactors import events as evt
from dicomactors.dimse import CStoreRSP
from dicomactors.services.common import run_status_handler
from dicomactors.services.request_view import RequestView

#: 0xA700 Out of resources; 0xC000-0xCFFF Cannot understand (PS3.4 B.2.3).
CANNOT_UNDERSTAND = 0xC000


def handle_c_store(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    context = request.context
    status, extra = run_status_handler(
        assoc,
        handlers,
        evt.EVT_C_STORE,
        CANNOT_UNDERSTAND,
        context=context.as_tuple,
        request=RequestView(rq),
        dataset_bytes=request.dataset if request.dataset is not None else b"",
        transfer_syntax=str(context.transfer_syntax[0]),
    )
    send(
        CStoreRSP(
            message_id_being_responded_to=rq.message_id,
            status=status,
            affected_sop_class_uid=rq.affected_sop_class_uid,
            affected_sop_instance_uid=rq.affected_sop_instance_uid,
            **extra,
        )
    )
