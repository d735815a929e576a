"""Console delivery: the default when no Slack credential is set."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.digest import Digest


class ConsoleDelivery:
    """Prints each digest as plain lines; it never fails, so alerts count as said."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, digest: Digest, on_message=None) -> None:
        print("\n".join(digest.lines), file=self.stream)
        for number in range(len(digest.messages)):
            if on_message:
                on_message(number)
