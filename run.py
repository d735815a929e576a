"""seatbot's entry point: `python run.py check`, `serve`, `summary`, `status`."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
