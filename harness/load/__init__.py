"""Load-testing a DICOM node with Locust: DICOM users, integrity checking after the run and
the ``dicomactors load`` command (docs/load.md).

- `outcome`: what one request came to, in words (status, reject, abort, timeout);
- `instances`: what the load stores (generated or from a folder) and its fingerprint;
- `integrity`: the ledger of successful stores and the check after the run;
- `users`: :class:`DicomUser` and the Locust options and event hooks it uses;
- `locustfile`: the file Locust loads for ``dicomactors load``;
- `cli`: ``dicomactors load``, a thin front end over Locust's own command line.

It lives in the harness, not the library: it depends on Locust (the ``load`` extra), and
the library never imports the harness.
"""
