"""JSON Schemas of the files tcbatch-contract writes (read with importlib.resources)."""
