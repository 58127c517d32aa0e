"""Charts and tables of results (matplotlib; every function returns a Figure, the CLI saves it)."""
