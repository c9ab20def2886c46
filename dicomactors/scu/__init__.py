"""The requestor side of the DIMSE services: what each ``Association.send_*`` does.

Each function takes the facade :class:`~dicomactors.association.Association`,
checks what the user asked for (a clear ``RuntimeError`` or ``ValueError``),
builds the request, sends it and turns the responses into what pynetdicom's
users expect: a status ``Dataset`` per response, with the identifier or reply
decoded. The acceptor side (what a node does with a request it receives) is
:mod:`dicomactors.services`.

- :mod:`~dicomactors.scu.verification`: C-ECHO
- :mod:`~dicomactors.scu.storage`: C-STORE, of a data set or a file as stored
- :mod:`~dicomactors.scu.query_retrieve`: C-FIND, C-GET, C-MOVE, C-CANCEL
- :mod:`~dicomactors.scu.normalized`: the six DIMSE-N services
"""

from dicomactors.scu.normalized import n_action as n_action
from dicomactors.scu.normalized import n_create as n_create
from dicomactors.scu.normalized import n_delete as n_delete
from dicomactors.scu.normalized import n_event_report as n_event_report
from dicomactors.scu.normalized import n_get as n_get
from dicomactors.scu.normalized import n_set as n_set
from dicomactors.scu.query_retrieve import c_cancel as c_cancel
from dicomactors.scu.query_retrieve import c_find as c_find
from dicomactors.scu.query_retrieve import c_get as c_get
from dicomactors.scu.query_retrieve import c_move as c_move
from dicomactors.scu.storage import c_store as c_store
from dicomactors.scu.verification import c_echo as c_echo
