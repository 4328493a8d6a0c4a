"""Whether the relay takes new work: false once it is stopping (SIGTERM), so joins and new
meetings get a sentence instead of a seat that is about to vanish."""

from __future__ import annotations

from shared.errors import Unavailable


class Lifecycle:
    def __init__(self) -> None:
        self.accepting = True

    def check_accepting(self) -> None:
        if not self.accepting:
            raise Unavailable("The server is shutting down; try again in a moment.")
