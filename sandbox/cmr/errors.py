"""CMR's error responses: a status and a list of messages, ``{"errors": [...]}`` on the wire."""

from __future__ import annotations


class CmrError(Exception):
    """A request CMR refuses, with its HTTP status and messages (CMR's own wording)."""

    def __init__(self, messages: list[str] | str, status: int = 400) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.status = status
        super().__init__("; ".join(self.messages))


class ErrorCollector:
    """Gathers every problem of a request, as CMR reports them all at once."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        """Record one problem."""
        if message not in self.messages:
            self.messages.append(message)

    def raise_if_any(self) -> None:
        """Raise :class:`CmrError` (400) if any problem was recorded."""
        if self.messages:
            raise CmrError(self.messages)
