"""Style sheet and other data files, read with importlib.resources."""
