"""Private implementation of ``tcbatch_contract.strategies``."""
