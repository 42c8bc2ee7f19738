"""ICC colour management for the resizer: convert tagged originals to sRGB with LittleCMS.

Split out of `imaging` to keep the pipeline module small. ImageCms is imported lazily, so untagged
images never pay for it (cold start). Unreadable or unusable profiles are ignored, as browsers do.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image


class ColourManager:
    """Convert ICC-tagged images to sRGB; built once per source, applied per output.

    RGB sources are converted after resizing (the same result on far fewer pixels); CMYK
    sources are converted before, since nothing downstream handles CMYK.
    """

    def __init__(self, icc: bytes | None) -> None:
        self._profile: Any = None
        self._space = ""
        self._transforms: dict[str, Any] = {}
        if not icc:
            return
        from PIL import ImageCms  # imported lazily: untagged images never pay for it

        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            description = (ImageCms.getProfileDescription(profile) or "").strip().lower()
            space = profile.profile.xcolor_space.strip()
        except (OSError, ValueError, AttributeError, ImageCms.PyCMSError):
            return  # an unreadable profile: treat the pixels as sRGB, as browsers do
        if space == "RGB" and description.startswith("srgb"):
            return  # already sRGB: skip a near-identity transform
        self._profile = profile
        self._space = space

    def _apply(self, im: Image.Image, in_mode: str) -> Image.Image | None:
        """Return `im` converted to sRGB, or None if LittleCMS cannot use the profile."""
        from PIL import ImageCms

        try:
            transform = self._transforms.get(in_mode)
            if transform is None:
                transform = ImageCms.buildTransform(
                    self._profile,
                    ImageCms.createProfile("sRGB"),
                    in_mode,
                    "RGB",
                    renderingIntent=ImageCms.Intent.PERCEPTUAL,
                )
                self._transforms[in_mode] = transform
            return ImageCms.applyTransform(im, transform)
        except (ImageCms.PyCMSError, OSError, ValueError):
            self._profile = None  # a profile it cannot use: treat the pixels as sRGB
            return None

    def cmyk_to_srgb(self, im: Image.Image) -> Image.Image:
        """Return a CMYK image as sRGB, through its profile when it has a CMYK one."""
        if self._profile is not None and self._space == "CMYK":
            out = self._apply(im, "CMYK")
            if out is not None:
                return out
        return im.convert("RGB")

    def to_srgb(self, im: Image.Image) -> Image.Image:
        """Return an RGB/RGBA output converted from the source profile to sRGB."""
        if self._profile is None or self._space != "RGB" or im.mode not in ("RGB", "RGBA"):
            return im
        out = self._apply(im.convert("RGB") if im.mode == "RGBA" else im, "RGB")
        if out is None:
            return im
        if im.mode == "RGBA":
            out.putalpha(im.getchannel("A"))
        return out
