"""What to send when a response cannot be encoded (issue 14, defect 1).

A response echoes values the request carried (Affected SOP Class and
Instance UIDs) and values a handler chose (Error Comment). Received UIDs are
decoded leniently, so one holding a non-ASCII byte decodes but cannot be
encoded again; a handler's comment may hold any character. Such a response
must not be dropped, or the peer waits for it forever: it is replaced by the
same response type carrying only what always encodes, the Message ID Being
Responded To and the status 0110H Processing failure (PS3.7 C.4, Annex C).
Every other element of a DIMSE response is optional (PS3.7 9.3, 10.3: "U" or
"C" in the response tables), so the substitute is a valid response.
"""

from __future__ import annotations

from dicomactors.dimse.commands import MESSAGE_TYPES, CommandField, DIMSEMessage

#: Processing failure (PS3.7 Annex C.4): the general failure every service may answer.
PROCESSING_FAILURE = 0x0110

_COMMENT = "the response could not be encoded"


def failure_in_place_of(message: DIMSEMessage) -> DIMSEMessage | None:
    """The Processing failure response to send instead of ``message``, or ``None``.

    ``None`` when ``message`` is not a response (a request that cannot be
    encoded is the local user's error, reported to them) or the substitute
    itself cannot be built.
    """
    field = CommandField(message.command_field)
    if not field & 0x8000:
        return None
    response_type = MESSAGE_TYPES.get(field)
    responding_to = getattr(message, "message_id_being_responded_to", None)
    if response_type is None or responding_to is None:
        return None
    return response_type(  # type: ignore[call-arg]
        message_id_being_responded_to=responding_to,
        status=PROCESSING_FAILURE,
        error_comment=_COMMENT,
    )
