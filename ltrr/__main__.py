"""``python -m ltrr ...``: see :mod:`ltrr.cli`."""
import sys

from ltrr.cli import main

sys.exit(main())
