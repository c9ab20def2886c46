"""What the SCU functions share: the final response of a request and its status."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydicom import Dataset

from dicomactors.dimse import status_dataset


def last_response(responses: Iterable[Any]) -> Any | None:
    """The final response of a request (pending ones before it are dropped)."""
    last = None
    for response in responses:
        last = response
    return last


def status_of(response: Any | None) -> Dataset:
    """The status of a response as a Dataset; an empty one if no response came."""
    if response is None:
        return Dataset()
    return status_dataset(response.message)
