"""
The aws backend: records in DynamoDB (``dynamo``), encrypted file bodies in
S3 (``s3``), and what both share (``common``: client set-up, error mapping).

Settings name the stores by these paths: ``sharing.stores.aws.DynamoRecordStore``
and ``sharing.stores.aws.S3BlobStore``. The AWS SDK (botocore) is imported
only by this package.
"""

from sharing.stores.aws.dynamo import DynamoRecordStore
from sharing.stores.aws.s3 import S3BlobStore, S3BlobWriter

__all__ = ["DynamoRecordStore", "S3BlobStore", "S3BlobWriter"]
