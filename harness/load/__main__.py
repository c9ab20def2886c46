import sys

from harness.load.cli import main

sys.exit(main())
