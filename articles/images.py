"""
Checking uploaded images by their content and cutting their renditions.

An upload is trusted for nothing: not its name, not its declared type. Pillow
opens it, with a pixel cap against decompression bombs, before anything is
stored; renditions are cut once, at upload, so a reader's request never waits
for an image to be resized.
"""

from io import BytesIO
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import ImageOps

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


def validate_image_file(file):
    """Reject anything that is not a real, reasonably sized JPEG, PNG, GIF or WebP."""
    if file.size > settings.IMAGE_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("This file is %(size)s; images may be at most %(limit)s."),
            code="too_large",
            params={
                "size": filesizeformat(file.size),
                "limit": filesizeformat(settings.IMAGE_MAX_UPLOAD_BYTES),
            },
        )
    file.seek(0)
    try:
        with PILImage.open(file) as image:
            image_format = image.format
            width, height = image.size
            if width * height > settings.IMAGE_MAX_PIXELS:
                raise ValidationError(
                    _("This image is %(width)s×%(height)s pixels, too large to process."),
                    code="too_many_pixels",
                    params={"width": width, "height": height},
                )
            # Every frame of an animation is decoded when it is cleaned, so they count together.
            frames = getattr(image, "n_frames", 1)
            if width * height * frames > settings.IMAGE_MAX_PIXELS:
                raise ValidationError(
                    _(
                        "This animation has %(frames)s frames of %(width)s×%(height)s pixels, "
                        "too many to process."
                    ),
                    code="too_many_frames",
                    params={"frames": frames, "width": width, "height": height},
                )
            image.verify()
    except ValidationError:
        raise
    except Exception as error:
        raise ValidationError(
            _("This file is not an image we can read. Upload a JPEG, PNG, GIF or WebP."),
            code="not_an_image",
        ) from error
    finally:
        file.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            _("%(format)s images are not accepted. Upload a JPEG, PNG, GIF or WebP."),
            code="format",
            params={"format": image_format},
        )


def _pixels_only(image):
    """
    `image` without what Pillow carries along from the file it was read from and
    writes back on save (a JPEG comment, an ICC profile, XMP): a camera or an
    editing program can leave names, serial numbers or places there. Only a
    palette's transparent colour stays; it is part of the picture.
    """
    image.info = {key: value for key, value in image.info.items() if key == "transparency"}
    return image


def without_metadata(file, name):
    """
    The picture re-encoded with its orientation applied and no EXIF, XMP or text.

    A photo straight from a camera or phone can carry the GPS position where it
    was taken and the device's serial number; for a newsroom's sources and
    photographers that can be dangerous, so no original is ever published as
    uploaded. GIFs keep every frame and its timing; only their comments and
    application blocks (where XMP travels) are left behind.
    """
    file.seek(0)
    buffer = BytesIO()
    with PILImage.open(file) as image:
        image_format = image.format
        if image_format == "GIF":
            # Pillow copies each frame's comment forward unless one is given.
            image.save(buffer, format="GIF", save_all=True, comment="")
            return ContentFile(buffer.getvalue(), name=name)
        cleaned = _pixels_only(ImageOps.exif_transpose(image))
        if image_format == "JPEG" and cleaned.mode not in ("RGB", "L"):
            cleaned = cleaned.convert("RGB")
        cleaned.save(buffer, format=image_format, quality=90)
    return ContentFile(buffer.getvalue(), name=name)


def read_dimensions(file):
    file.seek(0)
    with PILImage.open(file) as image:
        size = image.size
    file.seek(0)
    return size


def cut_renditions(file, storage, name):
    """
    Save one downscaled copy of the image per configured width narrower than it.

    Returns [{"width", "height", "name"}] narrowest first; the original serves
    as the widest candidate, so nothing is ever upscaled.
    """
    file.seek(0)
    renditions = []
    with PILImage.open(file) as original:
        image_format = original.format
        original = ImageOps.exif_transpose(original)
        if original.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            original = original.convert("RGB")
        stem = PurePosixPath(name).stem
        for width in settings.IMAGE_RENDITION_WIDTHS:
            if width >= original.width:
                break
            height = max(1, round(original.height * width / original.width))
            copy = _pixels_only(original.resize((width, height), PILImage.Resampling.LANCZOS))
            save_format = "PNG" if image_format in ("PNG", "GIF") else image_format
            if save_format == "JPEG" and copy.mode != "RGB":
                copy = copy.convert("RGB")
            buffer = BytesIO()
            copy.save(buffer, format=save_format, quality=82, optimize=True)
            extension = ALLOWED_FORMATS[save_format]
            stored = storage.save(
                f"images/renditions/{stem}-{width}w.{extension}", ContentFile(buffer.getvalue())
            )
            renditions.append({"width": width, "height": height, "name": stored})
    file.seek(0)
    return renditions
