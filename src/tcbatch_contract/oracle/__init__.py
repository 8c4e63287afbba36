"""The oracle: what the contract says a target must answer to a request.

Pure and without I/O. ``evaluate(action, params, context)`` returns an :class:`Outcome`:
success, or every rule of the catalogue that the request breaks with its code and the
parameter path. A single-fault request yields exactly one code; a multi-fault request
yields every code a conformant target may answer with.

The protocol rules (P1-P11) need the wire and are judged by the harness; the oracle judges
the schema rules (S1-S6) and the business rules (B1-B31).
"""

from ._evaluate import evaluate
from ._model import Breach, Context, Outcome, Violation

__all__ = ["Breach", "Context", "Outcome", "Violation", "evaluate"]
