"""Hypothesis strategies for SubmitJob requests: valid jobs and single-fault jobs."""
