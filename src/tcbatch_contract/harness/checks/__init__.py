"""The checks a run is made of: generated, protocol, stateful, with their shared parts.

Each module here turns one family of rules into verdicts through the driver and judging in
``harness``: generated body-level checks (``generated``, with the catalogue's vectors in
``fixed_cases`` and the per-field ``sweep``), protocol checks (``protocol`` on a
``session``), stateful scenarios (``stateful``, ``rate_limit``), and the judgements every
answer gets (``response_form``, ``readback``).
"""
