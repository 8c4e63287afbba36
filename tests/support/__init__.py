"""Helpers the tests share that are not fixtures: loopback servers, raw signed requests,
harness targets, the edits the rule tests make. Test modules import these, never each other;
fixtures live in the ``conftest.py`` of the room that needs them."""
