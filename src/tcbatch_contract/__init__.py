"""tcbatch-contract: the conformance and fuzzing harness for Tencent Cloud Batch SubmitJob."""

__version__ = "0.1.0"
API_VERSION = "2017-03-12"
SERVICE = "batch"
