"""Policies as their owners keep them in git: the YAML files and their validation (``files``), golden test
cases (``cases``), and what git says about a file (``git``, ``provenance``)."""
