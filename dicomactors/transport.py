"""The association server under the names pynetdicom's ``transport`` module gives it.

``AE.start_server(..., block=False)`` returns an :class:`AssociationServer`;
pynetdicom documents that object as a ``ThreadedAssociationServer``, so code
that names the type (in an annotation or an ``isinstance``) keeps working.
Here one class serves both: accepted associations run on pooled actor threads,
not on a thread per request as pynetdicom's ``socketserver`` mix-in does.
"""

from __future__ import annotations

from dicomactors.server import AssociationServer

__all__ = ["AssociationServer", "ThreadedAssociationServer"]

ThreadedAssociationServer = AssociationServer
