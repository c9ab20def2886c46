"""The locustfile of ``dicomactors load``: one user class, :class:`DicomLoadUser`, whose
settings come from the command line (harness/load/hooks.py lists the options)."""

from harness.load import hooks  # noqa: F401  (registers the options and the hooks)
from harness.load.users import DicomUser


class DicomLoadUser(DicomUser):
    """A DICOM user configured by ``dicomactors load``'s options."""
