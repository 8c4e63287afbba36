"""Transports: how a signed request reaches a target (HTTP, in-process, replay)."""
