"""What an attachment may be: a document of a known type, within the size limit."""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Extension -> the bytes such a file starts with (None: text, checked by decoding instead).
SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".rtf": (b"{\\rtf",),
    ".txt": None,
}


def validate_attachment(upload) -> None:
    """Reject a file whose type is not allowed, whose content does not match its name, or that
    is larger than ATTACHMENT_MAX_BYTES."""
    name = PurePath(upload.name or "").name
    extension = PurePath(name).suffix.lower()
    if extension not in SIGNATURES:
        raise ValidationError(
            _("“%(name)s” is not an accepted document type. Accepted types: %(types)s.")
            % {"name": name, "types": ", ".join(sorted(SIGNATURES))},
            code="file_type",
        )
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; attachments may be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="file_size",
        )
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    signatures = SIGNATURES[extension]
    if signatures is None:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the 4 KiB boundary is not an error.
            if error.start < len(head) - 4:
                raise ValidationError(
                    _("“%(name)s” is named as text but is not UTF-8 text.") % {"name": name},
                    code="file_content",
                ) from None
    elif not head.startswith(signatures):
        raise ValidationError(
            _("“%(name)s” is named %(extension)s but its content is not of that type.")
            % {"name": name, "extension": extension},
            code="file_content",
        )
