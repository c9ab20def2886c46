"""PDU values, their codec and the incremental reader (PS3.8 9.3). Pure code."""

from dicomactors.pdu.codec import decode_pdu as decode_pdu
from dicomactors.pdu.codec import encode_pdu as encode_pdu
from dicomactors.pdu.errors import PDUDecodeError as PDUDecodeError
from dicomactors.pdu.items import *  # noqa: F403
from dicomactors.pdu.pdus import *  # noqa: F403
from dicomactors.pdu.reader import PDUReader as PDUReader
