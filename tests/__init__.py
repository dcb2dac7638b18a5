"""oreshock's test suite (a regular package, so that it is found before any other top-level
``tests`` package an installed dependency ships)."""
