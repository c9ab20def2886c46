"""PDU values, their codec and the incremental reader (PS3.8 9.3). Pure code."""

from dicomactors.pdu.errors import PDUDecodeError
from dicomactors.pdu.items import *  # noqa: F403
from dicomactors.pdu.pdus import *  # noqa: F403
