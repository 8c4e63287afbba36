"""The conformance suite as pytest tests (``pytest --pyargs tcbatch_contract.suite``)."""
