"""``python -m runners ...`` is ``cgym ...`` (handy inside a checkout without reinstalling)."""
import sys

from .cli import main

sys.exit(main())
