"""``python -m ch6.grader``: see ``ch6.grader.cli``."""
import sys

from .cli import main

sys.exit(main())
