"""Load-testing a DICOM node with Locust: DICOM users, integrity checking after the run and
the ``dicomactors load`` command (docs/load.md).

- `outcome`: what one request came to, in words (status, reject, abort, timeout);
- `instances`: what the load stores (generated or from a folder) and its fingerprint;
- `integrity`: the ledger of successful stores and the check after the run;
- `options`, `settings`: the DICOM options of a run and the settings parsed from them;
- `users`: :class:`~harness.load.users.DicomUser`, a Locust user speaking DICOM;
- `hooks`: Locust's side: options, the ledger from workers to master, the check at the end;
- `locustfile`: the file Locust loads for ``dicomactors load``;
- `cli`: ``dicomactors load``, a thin front end over Locust's own command line;
- `baseline`: the same traffic from plain threads, to measure what Locust costs.

It lives in the harness, not the library: it depends on Locust (the ``load`` extra), and
the library never imports the harness. Only `users`, `hooks` and `locustfile` import
Locust, which monkey-patches the process that imports it (gevent): the others can be
imported anywhere.
"""
