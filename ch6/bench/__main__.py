"""``python -m ch6.bench``: see ``ch6.bench.suite``."""
import sys

from .suite import main

sys.exit(main())
