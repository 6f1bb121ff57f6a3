"""``python -m cli``: the same as the ``raspc`` command."""
import sys

from cli.main import main

sys.exit(main())
