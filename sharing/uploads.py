"""
Uploads are sealed as they arrive.

Django's default handlers keep an upload in memory or spool it, in plaintext,
to a temporary file. This handler instead passes every chunk straight through
the file encryptor into the blob store, so no plaintext byte of a file ever
reaches a disk. What the view receives is a ``SealedUpload``: a handle on the
sealed blob, deleted at the end of the request unless a record took it over.
"""

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from sharing.domain.lifecycle import FileUpload
from sharing.errors import FILE_TOO_LARGE, PayloadTooLarge
from sharing.services import current_policy, secret_upload_begin

# Room for the multipart boundaries and the small form fields beside the file.
MULTIPART_OVERHEAD = 1024 * 1024


class SealedUpload(UploadedFile):
    def __init__(self, upload: FileUpload, *, name: str, content_type: str, charset: str | None):
        super().__init__(file=None, name=name, content_type=content_type, size=upload.size, charset=charset)
        self.upload = upload

    def open(self, mode=None):
        raise ValueError("a sealed upload cannot be read back")

    def close(self):
        # Django closes every uploaded file when the request ends.
        self.upload.discard()


class EncryptingUploadHandler(FileUploadHandler):
    chunk_size = 1024 * 1024

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = current_policy().max_file_bytes
        if content_length and content_length > limit + MULTIPART_OVERHEAD:
            raise PayloadTooLarge(FILE_TOO_LARGE, params={"limit": limit})

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.upload = secret_upload_begin()

    def receive_data_chunk(self, raw_data, start):
        self.upload.write(raw_data)
        return None  # nothing for any later handler: the plaintext stops here

    def file_complete(self, file_size):
        name, content_type = self.file_name or "secret", self.content_type or "application/octet-stream"
        self.upload.finish(name=name, content_type=content_type)
        return SealedUpload(self.upload, name=name, content_type=content_type, charset=self.charset)
