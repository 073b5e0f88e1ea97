"""``python -m conformance`` is ``segjobs-conformance``."""

import sys

from conformance.cli import main

sys.exit(main())
