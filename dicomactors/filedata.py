"""Part of a file, sent as it is: the data set of a DICOM file on its way to the socket.

A :class:`FileRegion` names bytes of an open file (offset and length) without
reading them, so that a C-STORE of a file whose transfer syntax the peer
accepted goes from the page cache to the socket with ``os.sendfile``
(:func:`dicomactors.actors.transport.send_buffers`) and never passes through
Python memory. Slicing a region gives a smaller region of the same file, as
slicing bytes gives bytes; ``bytes(region)`` reads it, for every consumer that
needs the bytes themselves (a TLS socket, a P-DATA-TF with several PDVs).

The file stays open while any region of it exists and is closed when the last
one is freed, never by whoever opened it: a peer may answer a C-STORE (or the
request may time out) while its data set is still being sent, and closing the
descriptor then could let the number be reused and another file's bytes be sent.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import overload

__all__ = ["SENDFILE_MIN", "FileRegion", "open_region"]

#: Regions shorter than this are read and sent as bytes rather than with
#: ``os.sendfile``. Sendfile saves the read and the send-side copy, but each call
#: ends in a push that wakes the receiver: measured on Linux 6.18 over loopback,
#: a 512 KiB data set in 16 or 128 KiB PDUs (a sendfile per PDU) cost the sender
#: 100-200 us and the receiver about 80 us more per instance than one read and one
#: gathered ``sendmsg``, while in one PDU it saved the sender 60-90 us.
SENDFILE_MIN = 256 * 1024


class _OpenFile:
    """A descriptor opened read-only, closed when this object is freed."""

    __slots__ = ("__weakref__", "fd", "name")

    def __init__(self, path: str | Path) -> None:
        self.name = os.fspath(path)
        self.fd = os.open(self.name, os.O_RDONLY | os.O_CLOEXEC)
        weakref.finalize(self, os.close, self.fd)


class FileRegion:
    """``length`` bytes of an open file from ``offset``: an immutable, bytes-like slice.

    Supports ``len()``, slicing (step 1) into sub-regions, indexing to one
    byte's value, ``bytes()`` and :meth:`tobytes` (read with ``os.pread``).
    Regions compare equal when they hold the same bytes, like bytes.
    """

    __slots__ = ("_file", "length", "offset")

    _file: _OpenFile
    offset: int
    length: int

    def __init__(self, file: _OpenFile, offset: int, length: int) -> None:
        if offset < 0 or length < 0:
            raise ValueError(f"a file region needs offset and length >= 0, not {offset}, {length}")
        _set_file(self, file)
        _set_offset(self, offset)
        _set_length(self, length)

    @classmethod
    def _of(cls, file: _OpenFile, offset: int, length: int) -> FileRegion:
        """A region from checked numbers, built without ``__init__`` (slicing makes many)."""
        region = _new(cls)
        _set_file(region, file)
        _set_offset(region, offset)
        _set_length(region, length)
        return region

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"FileRegion is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"FileRegion is immutable: cannot delete {name}")

    @property
    def name(self) -> str:
        """The path the file was opened by."""
        return self._file.name

    def fileno(self) -> int:
        """The descriptor, for ``os.sendfile``: valid while this region exists."""
        return self._file.fd

    def __len__(self) -> int:
        return self.length

    def follows(self, other: FileRegion) -> bool:
        """Whether this region starts, in the same open file, where ``other`` ends."""
        return self._file is other._file and self.offset == other.offset + other.length

    def through(self, last: FileRegion) -> FileRegion:
        """The region from this one's start to the end of ``last``, a later region of the file."""
        if last._file is not self._file or last.offset < self.offset:
            raise ValueError(f"{last!r} is not a later region of the file of {self!r}")
        return FileRegion._of(self._file, self.offset, last.offset + last.length - self.offset)

    def chunks(self, size: int) -> list[FileRegion]:
        """The region cut into consecutive pieces of ``size`` bytes (the last may be shorter)."""
        if size <= 0:
            raise ValueError(f"a chunk size must be positive, not {size}")
        make = FileRegion._of
        file = self._file
        end = self.offset + self.length
        return [
            make(file, start, min(size, end - start)) for start in range(self.offset, end, size)
        ]

    @overload
    def __getitem__(self, key: int) -> int: ...

    @overload
    def __getitem__(self, key: slice) -> FileRegion: ...

    def __getitem__(self, key: int | slice) -> int | FileRegion:
        if isinstance(key, slice):
            start, stop, step = key.indices(self.length)
            if step != 1:
                raise ValueError("a file region can only be sliced with step 1")
            return FileRegion._of(self._file, self.offset + start, max(0, stop - start))
        index = key.__index__()
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError("file region index out of range")
        return self[index : index + 1].tobytes()[0]

    def tobytes(self) -> bytes:
        """The region's bytes, read from the file now.

        Raises ``OSError`` if the file has become shorter than the region.
        """
        fd = self._file.fd
        size = self.length
        data = os.pread(fd, size, self.offset)
        if len(data) == size:
            return data
        parts = [data]  # a short read: the kernel caps one read, or the file ended
        done = len(data)
        while done < size:
            more = os.pread(fd, size - done, self.offset + done)
            if not more:
                raise OSError(
                    f"{self.name} ended at {self.offset + done}, inside the region"
                    f" {self.offset}+{size} (the file was shortened)"
                )
            parts.append(more)
            done += len(more)
        return b"".join(parts)

    def __bytes__(self) -> bytes:
        return self.tobytes()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FileRegion):
            if other._file is self._file and other.offset == self.offset:
                return other.length == self.length
            return len(other) == self.length and other.tobytes() == self.tobytes()
        if isinstance(other, bytes | bytearray | memoryview):
            return len(other) == self.length and bytes(other) == self.tobytes()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.tobytes())

    def __repr__(self) -> str:
        return f"FileRegion({self.name!r}, offset={self.offset}, length={self.length})"


_new = object.__new__
# The slots' own setters: they write past the __setattr__ that keeps regions immutable.
_set_file = vars(FileRegion)["_file"].__set__
_set_offset = vars(FileRegion)["offset"].__set__
_set_length = vars(FileRegion)["length"].__set__


def open_region(path: str | Path, offset: int = 0, length: int | None = None) -> FileRegion:
    """A region of the file at ``path``: from ``offset``, to its end unless ``length``.

    The file is opened now (``OSError`` as for ``open``) and closed when the
    last region of it is freed.
    """
    file = _OpenFile(path)
    if length is None:
        length = max(0, os.fstat(file.fd).st_size - offset)
    return FileRegion(file, offset, length)
