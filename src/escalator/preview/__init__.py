"""A policy change previewed before it merges: a backlog on file (``backlog``), two plans compared (``diff``),
the comparison of two git refs (``compare``) and the diff as text (``render``)."""
