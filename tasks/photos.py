"""Photos uploaded as proof of work on merchandising tasks: checked, then kept as pixels only.

A phone's photo carries where it was taken (EXIF GPS), the device and sometimes its owner's
name; none of that may reach the partner who sees the task. So an accepted photo is decoded
and encoded again from its pixels alone, never copied through.

The checks run cheapest first: the upload's size, then the type and the pixel count from the
file's header, and only then the decoding. A small file that would decode into gigabytes (a
decompression bomb) is refused before it is decoded."""

import io
import math
import struct
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

MEGABYTE = 1024 * 1024
QUALITY = 85  # JPEG and WebP: no visible loss on a shelf photo

# What Pillow's readers and decoders raise on a malformed or truncated file.
MALFORMED = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)


class PhotoRefused(Exception):
    """A photo that cannot be used; str(exc) is a message for the user, naming the file."""


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes  # the re-encoded image, no metadata at all
    extension: str  # "jpg", "png" or "webp"
    content_type: str  # "image/jpeg", "image/png", "image/webp"
    width: int
    height: int


@dataclass(frozen=True)
class _Kind:
    save_as: str
    extension: str
    content_type: str


JPEG = _Kind("JPEG", "jpg", "image/jpeg")
PNG = _Kind("PNG", "png", "image/png")
WEBP = _Kind("WEBP", "webp", "image/webp")

# Pillow's readers of the accepted formats, each with its test of the file's first bytes.
# They are called directly rather than through Image.open, which would try every format
# Pillow reads (EPS, ICO, TIFF...) and refuse a huge image with its own message, before we
# learn its size. MPO is how the JPEG reader returns a JPEG holding extra frames
# (some phones' portrait shots); its main picture is kept.
READERS = [
    Image.OPEN[plugin.format]  # importing a plugin registers its reader there
    for plugin in (
        JpegImagePlugin.JpegImageFile,
        PngImagePlugin.PngImageFile,
        WebPImagePlugin.WebPImageFile,
    )
]
KINDS = {"JPEG": JPEG, "MPO": JPEG, "PNG": PNG, "WEBP": WEBP}


def clean_photos(uploads) -> list[CleanPhoto]:
    """The photos of one update, each checked (clean_photo), at most
    TASK_PHOTOS_PER_UPDATE of them: the task page and the API take them through here."""
    uploads = list(uploads or [])
    if len(uploads) > settings.TASK_PHOTOS_PER_UPDATE:
        raise PhotoRefused(f"At most {settings.TASK_PHOTOS_PER_UPDATE} photos per update.")
    return [clean_photo(upload) for upload in uploads]


def clean_photo(upload) -> CleanPhoto:
    """Check an uploaded photo and return it re-encoded without metadata, upright.

    `upload` is a Django UploadedFile. Raises PhotoRefused with a message for the user."""
    name = upload.name or "The photo"
    data = _read(upload, name)
    image = _open(data, name)
    _check_pixels(image, name)
    kind = KINDS[image.format]
    try:
        image.load()  # a truncated file fails here (ImageFile.LOAD_TRUNCATED_IMAGES is off)
        ImageOps.exif_transpose(image, in_place=True)
    except MALFORMED as exc:
        raise PhotoRefused(f"{name} is damaged or incomplete; take or export it again.") from exc
    content, (width, height) = _encode(image, kind)
    return CleanPhoto(content, kind.extension, kind.content_type, width, height)


def _read(upload, name: str) -> bytes:
    limit = settings.TASK_PHOTO_MAX_BYTES
    if upload.size > limit:
        raise PhotoRefused(_too_big(name, upload.size, limit))
    upload.seek(0)
    data = upload.read(limit + 1)  # never more than the limit, whatever .size said
    if len(data) > limit:
        raise PhotoRefused(_too_big(name, len(data), limit))
    if not data:
        raise PhotoRefused(f"{name} is empty; take or export the photo again.")
    return data


def _open(data: bytes, name: str) -> Image.Image:
    """Identify the image and read its header; no pixel is decoded yet."""
    prefix = data[:16]
    for read, accepts in READERS:
        # accepts() answers a string instead of True where Pillow lacks the format's library.
        if accepts(prefix) is not True:
            continue
        try:
            return read(io.BytesIO(data), "")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Pillow's own check, made inside some readers before ours can run: the WebP
            # reader checks the canvas it reserves while reading the header.
            raise PhotoRefused(
                f"{name} has more pixels than a photo can have; "
                f"photos can have at most {_megapixels(_pixel_limit())} megapixels."
            ) from exc
        except MALFORMED as exc:
            raise PhotoRefused(
                f"{name} is damaged or incomplete; take or export it again."
            ) from exc
    raise PhotoRefused(f"{name} is not a JPEG, PNG or WebP image.")


def _check_pixels(image: Image.Image, name: str) -> None:
    width, height = image.size
    limit = _pixel_limit()
    if width * height > limit:
        raise PhotoRefused(
            f"{name} is {width:,} x {height:,} pixels; "
            f"photos can have at most {_megapixels(limit)} megapixels."
        )


def _pixel_limit() -> int:
    # Readers are called without Image.open's bomb check, so Pillow's ceiling is applied
    # here: it still holds if TASK_PHOTO_MAX_PIXELS is set above it.
    limit, ceiling = settings.TASK_PHOTO_MAX_PIXELS, Image.MAX_IMAGE_PIXELS
    return min(limit, ceiling) if ceiling else limit


def _encode(image: Image.Image, kind: _Kind) -> tuple[bytes, tuple[int, int]]:
    pixels = image.convert(_mode(image, kind))
    # The converted copy still carries the original's info (EXIF, ICC profile, XMP, JPEG
    # comment, PNG text), and some encoders write parts of it unasked.
    pixels.info.clear()
    options = {} if kind is PNG else {"quality": QUALITY}
    buffer = io.BytesIO()
    pixels.save(buffer, format=kind.save_as, **options)
    return buffer.getvalue(), pixels.size


def _mode(image: Image.Image, kind: _Kind) -> str:
    """Grey stays grey where the format has it; transparency is kept where it can be."""
    if kind is not JPEG and image.has_transparency_data:
        return "RGBA"
    if kind is not WEBP and image.mode in ("1", "L"):
        return "L"
    return "RGB"


def _too_big(name: str, size: int, limit: int) -> str:
    # Rounded up, so a file just over the limit never reads as the limit itself.
    megabytes = math.ceil(size * 10 / MEGABYTE) / 10
    return (
        f"{name} is {_number(megabytes)} MB; photos can be at most {_number(limit / MEGABYTE)} MB."
    )


def _megapixels(pixels: int) -> str:
    return _number(pixels / 1_000_000)


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")
