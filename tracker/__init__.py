"""tracker: follow pledges made by governments and officials until they are kept, broken or forgotten."""

__version__ = "0.1.0"
