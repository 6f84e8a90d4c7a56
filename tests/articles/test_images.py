from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from articles.images import validate_image_file
from tests.factories import ImageFactory, image_upload

pytestmark = pytest.mark.django_db


def test_renditions_are_cut_at_upload_and_offered_in_srcset():
    image = ImageFactory(file=image_upload(size=(1600, 900)))
    assert [r["width"] for r in image.renditions] == [480, 800, 1200]
    assert (image.width, image.height) == (1600, 900)
    storage = image.file.storage
    for rendition in image.renditions:
        assert storage.exists(rendition["name"])
        with storage.open(rendition["name"]) as stored, PILImage.open(stored) as picture:
            assert picture.size == (rendition["width"], rendition["height"])
    assert "480w" in image.srcset and "1600w" in image.srcset
    assert "-800w" in image.src


def test_small_images_are_never_upscaled():
    image = ImageFactory(file=image_upload(size=(600, 400)))
    assert [r["width"] for r in image.renditions] == [480]
    assert image.src == image.file.url


def test_renditions_are_not_recut_on_later_saves():
    image = ImageFactory()
    names = [r["name"] for r in image.renditions]
    image.caption = "New caption"
    image.save()
    assert [r["name"] for r in image.renditions] == names


def test_a_file_that_is_not_an_image_is_refused():
    fake = SimpleUploadedFile("photo.jpg", b"<?php system($_GET['c']); ?>")
    with pytest.raises(ValidationError, match="not an image we can read"):
        validate_image_file(fake)


def test_an_unaccepted_format_is_refused():
    with pytest.raises(ValidationError, match="BMP images are not accepted"):
        validate_image_file(image_upload("photo.bmp", size=(10, 10), image_format="BMP"))


def test_too_many_pixels_is_refused_before_decoding(settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    with pytest.raises(ValidationError, match="too large to process"):
        validate_image_file(image_upload(size=(101, 100), image_format="PNG"))


def test_too_many_bytes_is_refused(settings):
    settings.IMAGE_MAX_UPLOAD_BYTES = 1000
    buffer = BytesIO()
    PILImage.effect_noise((200, 200), 100).convert("RGB").save(buffer, format="JPEG")
    with pytest.raises(ValidationError, match="may be at most"):
        validate_image_file(SimpleUploadedFile("big.jpg", buffer.getvalue()))


def test_location_and_camera_metadata_never_reach_the_site():
    exif = PILImage.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (10.0, 30.0, 0.0)  # latitude 10°30' N
    buffer = BytesIO()
    PILImage.new("RGB", (1000, 600), "navy").save(buffer, format="JPEG", exif=exif)
    upload = SimpleUploadedFile("from-the-field.jpg", buffer.getvalue())
    with PILImage.open(BytesIO(buffer.getvalue())) as sent:
        assert sent.getexif().get_ifd(0x8825)  # the upload really carries a position
    image = ImageFactory(file=upload)
    storage = image.file.storage
    for name in [image.file.name] + [r["name"] for r in image.renditions]:
        with storage.open(name) as stored, PILImage.open(stored) as picture:
            assert not picture.getexif(), name


def test_orientation_is_applied_so_the_stored_picture_stands_upright():
    exif = PILImage.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    buffer = BytesIO()
    PILImage.new("RGB", (1000, 600), "navy").save(buffer, format="JPEG", exif=exif)
    image = ImageFactory(file=SimpleUploadedFile("sideways.jpg", buffer.getvalue()))
    assert (image.width, image.height) == (600, 1000)
    with image.file.storage.open(image.file.name) as stored, PILImage.open(stored) as picture:
        assert picture.size == (600, 1000)
