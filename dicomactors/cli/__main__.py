"""``python -m dicomactors.cli``: the ``dicomactors`` command."""

import sys

from dicomactors.cli import main

sys.exit(main())
