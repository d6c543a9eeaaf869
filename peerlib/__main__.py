"""``python -m peerlib`` runs the ``peerlib`` command."""
import sys

from .cli import main

sys.exit(main())
