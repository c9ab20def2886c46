"""The PDU codec (PS3.8 9.3): :func:`encode_pdu` and :func:`decode_pdu`.

Encoding is :mod:`dicomactors.pdu.encode`, decoding :mod:`dicomactors.pdu.decode`;
the byte layout they share is :mod:`dicomactors.pdu.layout`.
"""

from dicomactors.pdu.decode import decode_pdu as decode_pdu
from dicomactors.pdu.encode import encode_pdu as encode_pdu
from dicomactors.pdu.layout import MAX_PRESENTATION_CONTEXTS as MAX_PRESENTATION_CONTEXTS
from dicomactors.pdu.layout import MAX_UID_LENGTH as MAX_UID_LENGTH
from dicomactors.pdu.layout import PDU_HEADER as PDU_HEADER
from dicomactors.pdu.layout import PDU_HEADER_LENGTH as PDU_HEADER_LENGTH
from dicomactors.pdu.layout import PDV_HEADER as PDV_HEADER

__all__ = [
    "MAX_PRESENTATION_CONTEXTS",
    "MAX_UID_LENGTH",
    "PDU_HEADER",
    "PDU_HEADER_LENGTH",
    "PDV_HEADER",
    "decode_pdu",
    "encode_pdu",
]
