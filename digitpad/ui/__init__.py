"""Qt widgets. Everything that imports Qt lives in this package."""
