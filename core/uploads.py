"""Uploads are held to the import limit while they arrive, not once they are stored.

Files uploaded to Shelfshare are CSVs for the import machinery (imports, store lists for
regions, partnerships and tasks), held to IMPORT_MAX_BYTES, or task photos (the form
field "photos"), held to TASK_PHOTO_MAX_BYTES. Each reader then refuses a file over its
limit by the file's true size."""

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """What is kept of a file over the limit: its name and size, no content. read_upload()
    refuses it with the usual message ("The file is 12 MB; the limit is 10 MB...")."""

    def __init__(self, name, size, content_type, charset, content_type_extra):
        super().__init__(io.BytesIO(), name, content_type, size, charset, content_type_extra)


class SizeLimitedUploadHandler(FileUploadHandler):
    """First of the upload handlers. It passes each file's bytes on to Django's own handlers
    (memory, then a temporary file) until the file goes over the upload limit; from there
    on it only counts them. So no more than the limit is ever kept, and the file arrives
    as an OversizedUpload that carries its true size for the message.

    The rest of the body is still read (and dropped): a server that stops reading mid-body
    resets the connection, and the browser would show that instead of the message."""

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.oversized = False
        self.limit = (
            settings.TASK_PHOTO_MAX_BYTES if field_name == "photos" else settings.IMPORT_MAX_BYTES
        )

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.oversized = True
        return None if self.oversized else raw_data

    def file_complete(self, file_size):
        if not self.oversized:
            return None  # Django's own handlers make the file
        return OversizedUpload(
            self.file_name, file_size, self.content_type, self.charset, self.content_type_extra
        )
