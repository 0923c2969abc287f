"""
Uploads are sealed as they arrive, and only where a file secret is created.

Django's default handlers keep an upload in memory or spool it, in plaintext,
to a temporary file. ``EncryptingUploadHandler`` instead passes every chunk
straight through the file encryptor into the blob store, so no plaintext byte
of a file ever reaches a disk. What the view receives is a ``SealedUpload``: a
handle on the sealed blob, deleted at the end of the request unless a record
took it over.

The handler is not global (settings leave ``FILE_UPLOAD_HANDLERS`` empty, so a
file sent anywhere else is read and dropped): ``SealingMultiPartParser`` puts
it on the create routes alone. A multipart body sent to a reveal, a burn or
the admin's login stores nothing.

An upload that does not reach its end (the client hangs up, the body is cut
short, the limit is passed, storage fails) is discarded at once: its partial
blob or open multipart upload is gone before the request ends, not left for
the sweep or the bucket's lifecycle rule.
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

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
    # 1 MiB reads keep gunicorn's body reader in its fast range (docs/performance.md).
    chunk_size = 1024 * 1024

    def __init__(self, request=None):
        super().__init__(request)
        self.upload: FileUpload | None = None  # the file being sealed, until it is complete

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
        upload, self.upload = self.upload, None
        name, content_type = self.file_name or "secret", self.content_type or "application/octet-stream"
        try:
            upload.finish(name=name, content_type=content_type)
        except BaseException:
            upload.discard()
            raise
        return SealedUpload(upload, name=name, content_type=content_type, charset=self.charset)

    def upload_interrupted(self):
        """Drop the file being sealed, if one is: its body ended before the file did."""
        upload, self.upload = self.upload, None
        if upload is not None:
            upload.discard()


class SealingMultiPartParser(MultiPartParser):
    """
    ``multipart/form-data`` whose files are sealed into the blob store as they
    arrive; for the routes that create a file secret, and nowhere else.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        handler = EncryptingUploadHandler(request)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data, files = DjangoMultiPartParser(meta, stream, [handler], encoding).parse()
        except MultiPartParserError as exc:
            handler.upload_interrupted()
            raise ParseError(
                gettext("The multipart form could not be read: %(error)s") % {"error": exc}
            ) from None
        except OSError:
            # Reading the body failed: the client went away mid-upload.
            handler.upload_interrupted()
            raise ParseError(gettext("The upload was cut off before its end.")) from None
        except BaseException:
            handler.upload_interrupted()
            raise
        return DataAndFiles(data, files)
