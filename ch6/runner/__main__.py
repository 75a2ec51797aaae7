"""``python -m ch6.runner``: see ``ch6.runner.execute``."""
import sys

from .execute import main

sys.exit(main())
