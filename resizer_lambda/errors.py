"""The resizer's error hierarchy: each class carries its HTTP status and a stable machine code.

Only `handler.py` turns these into HTTP responses; every other module raises them.
"""

from __future__ import annotations


class ResizerError(Exception):
    """Base class: a failure the client should hear about, with a status and a code."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def headers(self) -> dict[str, str]:
        """Return extra response headers this error needs (e.g. Retry-After)."""
        return {}


class BadKey(ResizerError):
    """The requested key does not follow the variant key grammar."""

    status = 400
    code = "bad_key"


class UnknownPreset(ResizerError):
    """The key names a preset that the current configuration does not define."""

    status = 404
    code = "unknown_preset"


class NoDensity(ResizerError):
    """A `@2x` key for a preset that has no density renditions (fit inside)."""

    status = 404
    code = "no_density"


class OriginalNotFound(ResizerError):
    """The original the variant would be made from does not exist."""

    status = 404
    code = "original_not_found"


class TooLarge(ResizerError):
    """The original exceeds the configured byte or pixel limit (decompression bombs too)."""

    status = 413
    code = "too_large"


class UnsupportedFormat(ResizerError):
    """The original is not an image format on the allow-list."""

    status = 415
    code = "unsupported_format"


class CorruptImage(ResizerError):
    """The original claims to be a supported format but cannot be decoded."""

    status = 422
    code = "corrupt_image"


class TooManyScans(ResizerError):
    """A JPEG has far more scans than encoders write: each scan is a pass over the whole image.

    Refused from the bytes before decoding (`resizer_lambda.jpeg`): a scan of a few bytes can
    make libjpeg touch every block, so a small file can cost minutes of CPU (a "scan bomb").
    """

    status = 422
    code = "too_many_scans"

    def __init__(self, scans: int, limit: int, at_least: bool = False) -> None:
        count = f"at least {scans}" if at_least else str(scans)
        super().__init__(
            f"the original JPEG has {count} scans; the limit is {limit} (encoders write about "
            "10): re-save it as a baseline or standard progressive JPEG"
        )
        self.scans = scans
        self.limit = limit


class DecodeTooSlow(ResizerError):
    """Decoding the original took longer than `limits.max_decode_seconds`."""

    status = 422
    code = "decode_too_slow"

    def __init__(self, seconds: float, limit: float) -> None:
        super().__init__(
            f"decoding the original took over {limit:g} s (stopped after {seconds:.2f} s); "
            "the limit is limits.max_decode_seconds: re-save it as an ordinary image"
        )
        self.seconds = seconds
        self.limit = limit


class Unavailable(ResizerError):
    """S3 throttled or timed out after bounded retries; the client may retry later."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, retry_after: int = 2) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ConfigError(ResizerError):
    """The presets configuration is invalid; the message names the offending field."""

    status = 500
    code = "config_error"
