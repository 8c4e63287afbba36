"""The embedded SubmitJob emulator: a real HTTP server speaking the Batch API."""
