"""The conformance harness: cases, runner, verdicts and reports."""
