"""The filler's pools, shared between the processes of one run.

A valid request around a fault is filled from pools of values drawn once per process
(``_internal/filler.py``). A slot of a pool holds the same value in every process, so
the harness's worker processes hand each other the slots they drew instead of drawing
them again::

    learn_slots(slots_from_another_process)
    ...                      # draw cases
    hand_on = fresh_slots()  # what this process drew since the last call
"""

from ._internal.filler import fresh_slots, known_slots, learn_slots

__all__ = ["fresh_slots", "known_slots", "learn_slots"]
