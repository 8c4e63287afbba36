"""The conformance suite as pytest tests (``pytest --pyargs tcbatch_contract.suite``)."""

from ._session import declared, probe_url_target, rule_ids, use_database

__all__ = ["declared", "probe_url_target", "rule_ids", "use_database"]
