"""
Child processes for the test suite and the benchmark: the service under
gunicorn, Redis, and the servers that speak the DynamoDB and S3 protocols.
Each runs on free ports of 127.0.0.1 only, logs to a file and is stopped by
its PID. Not part of the service: nothing under sharing/ imports it.
"""
