"""Photos as proof of work: what is refused, with which message, and what comes out clean."""

import io
import random
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from tasks.photos import CleanPhoto, PhotoRefused, clean_photo

GPS = ExifTags.IFD.GPSInfo  # 0x8825


def image_bytes(image, format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def noise(size, mode="RGB"):
    """Random pixels: they compress badly, so half a file is missing half its picture."""
    width, height = size
    count = width * height * len(mode)
    return Image.frombytes(mode, size, random.Random(0).randbytes(count))


def upload(name, content, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(name, content, content_type="image/jpeg"):
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(upload(name, content, content_type))
    return str(refused.value)


def reopen(photo: CleanPhoto):
    image = Image.open(io.BytesIO(photo.content))
    image.load()
    return image


def assert_no_metadata(image):
    assert not image.getexif()
    assert not image.getexif().get_ifd(GPS)
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Author"):
        assert key not in image.info


def gps_exif():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Artist] = "Dana Merchandiser"
    gps = exif.get_ifd(GPS)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (41.0, 52.0, 55.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (87.0, 37.0, 40.0)
    return exif


class Unreadable(io.BytesIO):
    def read(self, *args):
        raise AssertionError("the file was read")


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def black_and_white_png(width, height):
    """A valid 1-bit PNG of blank rows: 20,000 x 20,000 of them weigh about 50 KB on disk
    and would decode into 400 MB."""
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte, then 8 pixels a byte
    block = row * 1000
    compressor = zlib.compressobj(9)
    rows = [compressor.compress(block) for _ in range(height // 1000)]
    rows.append(compressor.compress(row * (height % 1000)))
    rows.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(rows))
        + png_chunk(b"IEND", b"")
    )


# Refusals


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notes.jpg", b"Aisle 4 endcap done, photo to follow.\n", "image/jpeg"),
        (
            "shelf.png",
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(document.cookie)</script></svg>",
            "image/png",
        ),
        ("shelf.gif", image_bytes(Image.new("RGB", (10, 10)), "GIF"), "image/gif"),
        ("shelf.jpg", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "image/jpeg"),
        ("shelf.tiff", image_bytes(Image.new("RGB", (10, 10)), "TIFF"), "image/tiff"),
    ],
    ids=["text-named-jpg", "svg-with-script-named-png", "gif", "pdf-named-jpg", "tiff"],
)
def test_only_jpeg_png_and_webp_content_is_accepted_whatever_the_name(name, content, content_type):
    assert refusal(name, content, content_type) == f"{name} is not a JPEG, PNG or WebP image."


def test_truncated_jpeg_is_refused_as_damaged():
    whole = image_bytes(noise((200, 150)), "JPEG", quality=90)
    half = whole[: len(whole) // 2]

    assert refusal("photo.jpg", half) == (
        "photo.jpg is damaged or incomplete; take or export it again."
    )


def test_truncated_png_is_refused_as_damaged():
    whole = image_bytes(noise((200, 150)), "PNG")

    assert refusal("photo.png", whole[: len(whole) // 2], "image/png") == (
        "photo.png is damaged or incomplete; take or export it again."
    )


def test_jpeg_with_only_its_first_bytes_is_refused_as_damaged():
    whole = image_bytes(noise((50, 50)), "JPEG")

    assert refusal("photo.jpg", whole[:40]) == (
        "photo.jpg is damaged or incomplete; take or export it again."
    )


def test_decompression_bomb_is_refused_from_its_header_without_decoding(monkeypatch):
    bomb = black_and_white_png(20_000, 20_000)
    assert len(bomb) < 200_000  # small on disk, 400 megapixels decoded

    def decode(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)

    assert refusal("bomb.png", bomb, "image/png") == (
        "bomb.png is 20,000 x 20,000 pixels; photos can have at most 40 megapixels."
    )


def test_pixel_limit_comes_from_settings(settings):
    settings.TASK_PHOTO_MAX_PIXELS = 12_500_000
    photo = image_bytes(Image.new("L", (5000, 2501)), "PNG")

    assert refusal("wide.png", photo, "image/png") == (
        "wide.png is 5,000 x 2,501 pixels; photos can have at most 12.5 megapixels."
    )


def test_pillows_own_ceiling_holds_when_the_setting_is_above_it(settings, monkeypatch):
    settings.TASK_PHOTO_MAX_PIXELS = 10**12
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_500_000)
    photo = image_bytes(Image.new("RGB", (1500, 1001)), "JPEG")

    assert refusal("photo.jpg", photo) == (
        "photo.jpg is 1,500 x 1,001 pixels; photos can have at most 1.5 megapixels."
    )


def test_pillows_decompression_bomb_error_inside_a_reader_is_a_refusal(monkeypatch):
    # The WebP reader checks the canvas against Pillow's limit (refusing over twice it)
    # before it allocates the canvas, so before ours can run.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2_000_000)
    photo = image_bytes(Image.new("RGB", (2100, 2000)), "WEBP")

    assert refusal("photo.webp", photo, "image/webp") == (
        "photo.webp has more pixels than a photo can have; photos can have at most 2 megapixels."
    )


def test_file_over_the_size_limit_is_refused_before_it_is_read(settings):
    settings.TASK_PHOTO_MAX_BYTES = 1024 * 1024
    big = upload("big.jpg", b"")
    big.file, big.size = Unreadable(), 2_500_000

    with pytest.raises(PhotoRefused) as refused:
        clean_photo(big)

    assert str(refused.value) == "big.jpg is 2.4 MB; photos can be at most 1 MB."


def test_file_just_over_the_limit_does_not_read_as_the_limit(settings):
    settings.TASK_PHOTO_MAX_BYTES = 10 * 1024 * 1024

    assert refusal("photo.jpg", b"\0" * (10 * 1024 * 1024 + 1)) == (
        "photo.jpg is 10.1 MB; photos can be at most 10 MB."
    )


def test_file_at_the_size_limit_is_accepted(settings):
    photo = image_bytes(Image.new("RGB", (64, 48), "green"), "PNG")
    settings.TASK_PHOTO_MAX_BYTES = len(photo)

    assert clean_photo(upload("photo.png", photo, "image/png")).width == 64


def test_empty_file_is_refused():
    assert refusal("empty.jpg", b"") == "empty.jpg is empty; take or export the photo again."


# What comes out


def test_gps_and_every_other_metadata_are_stripped_and_the_size_kept():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = image_bytes(
        noise((320, 240)),
        "JPEG",
        exif=gps_exif(),
        icc_profile=srgb,
        comment=b"Taken at 1200 W Main St",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Dana Merchandiser</x:xmpmeta>',
    )
    sent = Image.open(io.BytesIO(original))
    assert sent.getexif().get_ifd(GPS)[ExifTags.GPS.GPSLatitudeRef] == "N"  # it was there

    photo = clean_photo(upload("IMG_0042.JPG", original))

    cleaned = reopen(photo)
    assert_no_metadata(cleaned)
    assert cleaned.format == "JPEG"
    assert (photo.extension, photo.content_type) == ("jpg", "image/jpeg")
    assert (photo.width, photo.height) == cleaned.size == (320, 240)
    for trace in (b"Exif", b"GPS", b"PhoneMaker", b"Dana", b"Main St", b"ICC_PROFILE"):
        assert trace not in photo.content


def test_jpeg_rotated_by_exif_comes_out_upright():
    # A phone held upright saves a landscape picture and orientation 6 ("rotate 90° clockwise
    # to show"): here its left half red, right half blue, so upright red is on top.
    landscape = Image.new("RGB", (80, 40), "red")
    landscape.paste("blue", (40, 0, 80, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6

    photo = clean_photo(upload("portrait.jpg", image_bytes(landscape, "JPEG", exif=exif)))

    cleaned = reopen(photo)
    assert (photo.width, photo.height) == cleaned.size == (40, 80)
    assert_no_metadata(cleaned)  # no orientation left to rotate it a second time
    top, bottom = cleaned.getpixel((20, 10)), cleaned.getpixel((20, 70))
    assert top[0] > 200 > top[2]
    assert bottom[2] > 200 > bottom[0]


def test_png_passes_with_its_transparency_and_without_its_text_and_exif():
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Dana Merchandiser")
    original = Image.new("RGBA", (60, 30), (0, 128, 0, 128))

    photo = clean_photo(
        upload("shelf.png", image_bytes(original, "PNG", pnginfo=text, exif=gps_exif()), "")
    )

    cleaned = reopen(photo)
    assert (photo.extension, photo.content_type) == ("png", "image/png")
    assert (cleaned.format, cleaned.mode, cleaned.size) == ("PNG", "RGBA", (60, 30))
    assert cleaned.getpixel((0, 0)) == (0, 128, 0, 128)
    assert_no_metadata(cleaned)
    assert b"Dana" not in photo.content


def test_webp_passes_without_its_exif():
    original = image_bytes(noise((90, 60)), "WEBP", exif=gps_exif(), quality=90)

    photo = clean_photo(upload("shelf.webp", original, "application/octet-stream"))

    cleaned = reopen(photo)
    assert (photo.extension, photo.content_type) == ("webp", "image/webp")
    assert (cleaned.format, cleaned.size) == ("WEBP", (90, 60))
    assert_no_metadata(cleaned)


def test_type_comes_from_the_content_not_the_name():
    photo = clean_photo(upload("shelf.png", image_bytes(noise((30, 20)), "JPEG"), "image/png"))

    assert (photo.extension, photo.content_type) == ("jpg", "image/jpeg")


@pytest.mark.parametrize(
    ("image", "format", "mode"),
    [
        (Image.new("CMYK", (20, 10), (0, 255, 255, 0)), "JPEG", "RGB"),
        (Image.new("L", (20, 10), 90), "JPEG", "L"),
        (Image.new("P", (20, 10)), "PNG", "RGB"),
        (Image.new("LA", (20, 10), (90, 40)), "PNG", "RGBA"),
        (Image.new("1", (20, 10)), "PNG", "L"),
    ],
    ids=["cmyk-jpeg", "grey-jpeg", "palette-png", "grey-alpha-png", "bilevel-png"],
)
def test_colour_modes_become_ones_every_browser_shows(image, format, mode):
    photo = clean_photo(upload(f"photo.{format.lower()}", image_bytes(image, format)))

    cleaned = reopen(photo)
    assert (cleaned.mode, cleaned.size) == (mode, (20, 10))
    assert_no_metadata(cleaned)


def test_cmyk_jpeg_keeps_its_colour():
    red = Image.new("CMYK", (20, 10), (0, 255, 255, 0))

    photo = clean_photo(upload("photo.jpg", image_bytes(red, "JPEG")))

    r, g, b = reopen(photo).getpixel((10, 5))
    assert r > 200 and g < 60 and b < 60
