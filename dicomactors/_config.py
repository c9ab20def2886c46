"""Process-wide switches kept under pynetdicom's names (``from dicomactors import _config``).

Code written for pynetdicom sets these on its ``_config`` module; the ones with
a counterpart here have the same name and the same meaning. Each AE reads them
when it starts an association.
"""

from __future__ import annotations

STORE_RECV_CHUNKED_DATASET: bool = False
"""Receive each C-STORE data set into a temporary file rather than into memory.

The same as ``ae.store_to_disk = True`` for every AE whose ``store_to_disk`` is
left ``False``. The ``EVT_C_STORE`` handler then finds the data set, as a DICOM
file with its File Meta Information, at ``event.dataset_path``; the file is
removed once the handler returns.
"""

UNRESTRICTED_STORAGE_SERVICE: bool = False
"""Accept every storage-like presentation context a requestor proposes.

A storage SOP class, a private UID or one unknown here is accepted with the
requestor's first transfer syntax, whatever the AE's supported contexts say;
other contexts are negotiated against them as usual. A server may then start
with no supported context at all. The ``EVT_C_STORE`` handler receives what
comes.
"""
