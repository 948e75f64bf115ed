"""Renderers: turn library data into text for a terminal, a pipe, or a file. They never read the store."""
