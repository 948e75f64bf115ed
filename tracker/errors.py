"""Errors raised by the library; the CLI turns each into one line and its exit code."""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error a user can cause or meet. Never shown with a traceback."""

    exit_code = 1


class BadInputError(TrackerError):
    """A value the user gave is not acceptable (exit 1)."""

    exit_code = 1


class NotFoundError(TrackerError):
    """No pledge or evidence matches the id the user gave (exit 1)."""

    exit_code = 1


class StoreError(TrackerError):
    """The store cannot be read or written safely (exit 3)."""

    exit_code = 3


class StoreDamagedError(StoreError):
    """The store file is empty, truncated, not JSON, or not shaped like a store."""

    def __init__(self, message: str, why: str = "") -> None:
        super().__init__(message)
        self.why = why or message  # what is wrong, without where the backups are


class StoreLockedError(StoreError):
    """Another process held the store's lock for longer than the timeout."""


class StoreVersionError(StoreError):
    """The store was written by a newer version of tracker."""


class ConditionFailedError(TrackerError):
    """A `--fail-on` condition was met; the report has already been printed (exit 4)."""

    exit_code = 4
