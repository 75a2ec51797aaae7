"""``python -m ch6.grader``: see ``ch6.grader.pipeline``."""
import sys

from .pipeline import main

sys.exit(main())
