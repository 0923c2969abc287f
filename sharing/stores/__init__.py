"""
Where secrets are kept: the storage contract (``base``), its backends
(``local``: SQLite and files; ``aws``: DynamoDB and S3) and the registry that
builds the configured ones from settings (``handler``).

Only ``handler`` knows Django; the contract and the backends do not, so the
domain can use and test them without it.
"""
