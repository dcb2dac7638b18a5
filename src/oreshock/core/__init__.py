"""The ground floor: errors, units, texts in both languages, options and the version.

Nothing here imports any other part of oreshock, so every layer above may use it.
"""
