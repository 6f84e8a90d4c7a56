"""
Uploads as an editor sends them through the admin: pictures straight from a
phone keep no trace of where they were taken, and odd shapes get a page, never
a server error.
"""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from PIL import PngImagePlugin

from articles.models import Image

pytestmark = pytest.mark.django_db

ADD = "/admin/articles/image/add/"
GPS = 0x8825
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="10,30.0N" exif:GPSLongitude="66,55.0W"/></rdf:RDF></x:xmpmeta>'
)


def field_exif():
    """What a phone writes: its make and model, and where the picture was taken."""
    exif = PILImage.Exif()
    exif[0x010F], exif[0x0110] = "PhoneMaker", "Model 7"
    exif[0x8825] = {1: "N", 2: (10.0, 30.0, 0.0), 3: "W", 4: (66.0, 55.0, 0.0)}
    return exif


def photo(image_format, size=(1600, 1000), mode="RGB"):
    buffer = BytesIO()
    picture = PILImage.new(mode, size, "navy")
    if image_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "Taken at the safe house, 10°30′N 66°55′W")
        text.add_itxt("XML:com.adobe.xmp", XMP.decode())
        picture.save(buffer, format="PNG", pnginfo=text, exif=field_exif())
    elif image_format == "JPEG":
        picture.save(buffer, format="JPEG", exif=field_exif(), xmp=XMP,
                     comment=b"Source: the whistleblower")  # fmt: skip
    else:
        picture.save(buffer, format=image_format, exif=field_exif(), xmp=XMP)
    return buffer.getvalue()


def assert_carries_no_metadata(data, label):
    with PILImage.open(BytesIO(data)) as picture:
        picture.load()
        assert not picture.getexif(), label
        assert not picture.getexif().get_ifd(GPS), label
        assert "exif" not in picture.info, label
        assert "xmp" not in picture.info and "XML:com.adobe.xmp" not in picture.info, label
        assert "comment" not in picture.info and "Comment" not in picture.info, label
        assert not getattr(picture, "text", {}), label
    assert b"safe house" not in data and b"whistleblower" not in data, label
    assert b"GPSLatitude" not in data and b"PhoneMaker" not in data, label


def upload(editor_client, data, name, **fields):
    form = {"title": "From the field", "alt_text": "A street", "caption": "", "credit": ""}
    return editor_client.post(ADD, {**form, **fields, "file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_location_and_device_never_reach_the_site(editor_client, image_format):
    sent = photo(image_format)
    with PILImage.open(BytesIO(sent)) as original:  # the upload really carries them
        assert original.getexif().get_ifd(GPS) and original.getexif()[0x010F] == "PhoneMaker"
        assert "xmp" in original.info or "XML:com.adobe.xmp" in original.info
    response = upload(editor_client, sent, f"field.{image_format.lower()}")
    assert response.status_code == 302
    image = Image.objects.get()
    assert [r["width"] for r in image.renditions] == [480, 800, 1200]
    storage = image.file.storage
    for name in [image.file.name] + [r["name"] for r in image.renditions]:
        with storage.open(name) as stored:
            assert_carries_no_metadata(stored.read(), name)


@pytest.mark.parametrize(
    "size, image_format", [((4000, 3), "JPEG"), ((4000, 1), "PNG"), ((3, 4000), "JPEG")]
)
def test_extreme_shapes_are_stored_with_usable_renditions(editor_client, size, image_format):
    buffer = BytesIO()
    PILImage.new("RGB", size, "navy").save(buffer, format=image_format)
    response = upload(editor_client, buffer.getvalue(), f"strip.{image_format.lower()}")
    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height) == size
    storage = image.file.storage
    for rendition in image.renditions:
        assert rendition["height"] >= 1
        with storage.open(rendition["name"]) as stored, PILImage.open(stored) as picture:
            assert picture.size == (rendition["width"], rendition["height"])


def test_an_animated_gif_keeps_its_frames_but_not_its_comments(editor_client):
    palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] * 64
    frames = [PILImage.new("P", (1000, 600), colour) for colour in (1, 2, 3)]
    for frame in frames:
        frame.putpalette(palette)
    buffer = BytesIO()
    frames[0].save(
        buffer, format="GIF", save_all=True, append_images=frames[1:],
        duration=[100, 200, 300], loop=0, comment=b"Filmed from the safe house",
    )  # fmt: skip
    assert b"safe house" in buffer.getvalue()
    assert upload(editor_client, buffer.getvalue(), "loop.gif").status_code == 302
    image = Image.objects.get()
    storage = image.file.storage
    with storage.open(image.file.name) as stored:
        data = stored.read()
    with PILImage.open(BytesIO(data)) as original:
        assert original.n_frames == 3 and original.info["duration"] == 100
    for name in [image.file.name] + [r["name"] for r in image.renditions]:
        with storage.open(name) as stored:
            assert_carries_no_metadata(stored.read(), name)


def test_an_animation_with_too_many_frames_is_refused_with_a_clear_error(editor_client, settings):
    settings.IMAGE_MAX_PIXELS = 1000 * 600 * 2
    frames = [PILImage.new("L", (1000, 600), shade) for shade in (0, 80, 160)]
    buffer = BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    response = upload(editor_client, buffer.getvalue(), "long.gif")
    assert response.status_code == 200
    assert "This animation has 3 frames of 1000×600 pixels" in response.content.decode()
    assert not Image.objects.exists()
