"""The Asynchronous Operations Window an association agreed (PS3.7 D.3.3.3).

The requestor proposes how many operations it may invoke and perform
asynchronously; the acceptor answers, in the A-ASSOCIATE-AC, how many it allows
(no more than was proposed; 0 is unlimited). Without the item on either side the
window is one operation each way: a request is answered before the next is sent.

The window of the requestor's operations bounds both ends of an association: how
many requests the SCU keeps outstanding and how many the SCP handles at once.
"""

from __future__ import annotations

from dicomactors.pdu import AAssociateAC, AAssociateRQ, AsynchronousOperationsWindowItem

#: What an unlimited window (0) is taken as: more outstanding requests than this
#: gain nothing on any link measured here, and each costs memory on both sides.
UNLIMITED_WINDOW = 64

#: The most requests an SCP handles at once on one association (a thread each).
MAXIMUM_CONCURRENT_HANDLERS = 16


def _item(pdu: AAssociateRQ | AAssociateAC | None) -> AsynchronousOperationsWindowItem | None:
    if pdu is None:
        return None
    return next(
        (i for i in pdu.user_information if isinstance(i, AsynchronousOperationsWindowItem)),
        None,
    )


def _bounded(value: int) -> int:
    return UNLIMITED_WINDOW if value == 0 else min(value, UNLIMITED_WINDOW)


def agreed_window(
    rq: AAssociateRQ | None, ac: AAssociateAC | None, *, requestor: bool = True
) -> int:
    """How many operations one side may have outstanding on the association.

    ``requestor``: the requestor's operations (Maximum-number-operations-invoked);
    otherwise the acceptor's (Maximum-number-operations-performed, what the
    requestor performs). 1 when the RQ or the AC lacks the item; never more than
    the RQ proposed, even if the AC says so; 0 (unlimited) is
    :data:`UNLIMITED_WINDOW`.
    """
    proposed, answered = _item(rq), _item(ac)
    if proposed is None or answered is None:
        return 1
    if requestor:
        mine, theirs = proposed.maximum_invoked, answered.maximum_invoked
    else:
        mine, theirs = proposed.maximum_performed, answered.maximum_performed
    return max(1, min(_bounded(mine), _bounded(theirs)))
