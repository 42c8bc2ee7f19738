"""Score outputs: SSIM against a full-decode LANCZOS reference, and output sizes.

SSIM is implemented here with numpy (the bench's only extra dependency, pinned in
bench/requirements.txt) so the formulation is explicit: Wang et al. 2004 on sRGB luma, with
reference and outputs colour-managed through their ICC profiles and transparent images
composited over mid-grey, so what is compared is what a browser shows.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import corpus

BENCH_DIR = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------
# numpy (SSIM) is the bench's only extra dependency; bench/requirements.txt pins it.


def ensure_numpy() -> None:
    try:
        import numpy  # noqa: F401
    except ImportError:
        req = BENCH_DIR / "requirements.txt"
        print(f"numpy is missing: installing {req} into {sys.prefix}", file=sys.stderr)
        uv = shutil.which("uv")
        cmd = (
            [uv, "pip", "install", "--python", sys.executable, "-r", str(req)]
            if uv
            else [sys.executable, "-m", "pip", "install", "-r", str(req)]
        )
        subprocess.run(cmd, check=True)


# --------------------------------------------------------------------------------------------
# SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, L 255,
# mean of the SSIM map over the 'valid' region, on luma (ITU-R BT.601, Pillow's convert("L")).


def _gauss(size: int = 11, sigma: float = 1.5) -> Any:
    import numpy as np

    x = np.arange(size, dtype=np.float64) - size // 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def _filter_valid(img: Any, k: Any) -> Any:
    n = len(k)
    h, w = img.shape
    tmp = sum(k[i] * img[i : h - n + 1 + i, :] for i in range(n))
    return sum(k[i] * tmp[:, i : w - n + 1 + i] for i in range(n))


def ssim(a: Any, b: Any) -> float:
    import numpy as np

    if a.shape != b.shape:
        raise ValueError(f"SSIM needs equal shapes, got {a.shape} and {b.shape}")
    if min(a.shape) < 11:
        return float("nan")
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    k = _gauss()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _filter_valid(a, k), _filter_valid(b, k)
    s_aa = _filter_valid(a * a, k) - mu_a**2
    s_bb = _filter_valid(b * b, k) - mu_b**2
    s_ab = _filter_valid(a * b, k) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * s_ab + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (s_aa + s_bb + c2)
    return float((num / den).mean())


_SRGB_CACHE: dict[bytes, Any] = {}


def _to_srgb(im: Any, icc: bytes | None) -> Any:
    """Colour-manage to sRGB so what is compared is what a browser shows."""
    from PIL import ImageCms

    if not icc:
        return im
    transform = _SRGB_CACHE.get(icc)
    if transform is None:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        desc = (ImageCms.getProfileDescription(src) or "").strip().lower()
        if desc.startswith("srgb"):
            _SRGB_CACHE[icc] = False
            return im
        transform = ImageCms.buildTransform(
            src, ImageCms.createProfile("sRGB"), "RGB", "RGB", ImageCms.Intent.PERCEPTUAL
        )
        _SRGB_CACHE[icc] = transform
    if transform is False:
        return im
    if im.mode == "RGBA":
        alpha = im.getchannel("A")
        out = ImageCms.applyTransform(im.convert("RGB"), transform)
        out.putalpha(alpha)
        return out
    return ImageCms.applyTransform(im.convert("RGB"), transform)


def _luma(im: Any, icc: bytes | None) -> Any:
    """sRGB luma; transparent images are composited over mid-grey first."""
    import numpy as np
    from PIL import Image

    if im.mode not in ("RGB", "RGBA", "L"):
        keyed = "transparency" in im.info
        im = im.convert("RGBA" if "A" in im.getbands() or keyed else "RGB")
    if im.mode != "L":
        im = _to_srgb(im, icc)
    if im.mode == "RGBA":
        grey = Image.new("RGBA", im.size, (128, 128, 128, 255))
        im = Image.alpha_composite(grey, im)
    return np.asarray(im.convert("L"))


class Reference:
    """Full-decode LANCZOS references of one source, per output size."""

    def __init__(self, data: bytes) -> None:
        from PIL import Image, ImageOps

        im = Image.open(io.BytesIO(data))
        im.load()
        self.icc: bytes | None = im.info.get("icc_profile") or None
        im = ImageOps.exif_transpose(im)
        if im.mode not in ("RGB", "RGBA"):
            keyed = "transparency" in im.info  # a palette or colour key with a tRNS chunk
            im = im.convert("RGBA" if "A" in im.getbands() or keyed else "RGB")
        self.full = im
        self._cache: dict[tuple[int, int], Any] = {}

    def luma(self, size: tuple[int, int]) -> Any:
        from PIL import Image

        ref = self._cache.get(size)
        if ref is None:
            ref = _luma(self.full.resize(size, Image.Resampling.LANCZOS), self.icc)
            self._cache[size] = ref
        return ref

    def score(self, encoded: bytes) -> tuple[float, tuple[int, int]]:
        from PIL import Image

        im = Image.open(io.BytesIO(encoded))
        im.load()
        icc = im.info.get("icc_profile") or None
        return ssim(self.luma(im.size), _luma(im, icc)), im.size

    def score_image(self, im: Any) -> float:
        """SSIM of an un-encoded image that is in the source's colour space."""
        return ssim(self.luma(im.size), _luma(im, self.icc))


# --------------------------------------------------------------------------------------------
# SSIM and sizes of every output of one source


def score_file(f: corpus.CorpusFile, res: dict[str, Any]) -> None:
    """Fill res['ssim'] and res['bytes'] per method and width (sharp's from its output files)."""
    ref = Reference(f.path.read_bytes())
    blobs: dict[str, dict[int, bytes]] = dict(res.pop("_outputs"))
    for kind, paths in res.pop("_sharp_paths", {}).items():
        blobs[kind] = {int(w): Path(p).read_bytes() for w, p in paths.items()}
    res["ssim"], res["bytes"], res["dims"] = {}, {}, {}
    for kind, by_w in blobs.items():
        res["ssim"][kind], res["bytes"][kind], res["dims"][kind] = {}, {}, {}
        for w, blob in by_w.items():
            value, size = ref.score(blob)
            res["ssim"][kind][w] = value
            res["bytes"][kind][w] = len(blob)
            res["dims"][kind][w] = list(size)
