"""Image -> MNIST vector: the one preprocessing function everything goes through.

The MNIST contract (the README's "How it recognises a drawing"): white ink on black,
float32 in [0, 1], the digit fitted into a 20x20 box keeping its aspect ratio
(anti-aliased), placed in a 28x28 frame so that its centre of mass (in pixel-index
coordinates, as measured on MNIST itself: mean 14.0, std 0.29) is at (14, 14), flattened
to 784 values. ``None`` means "no digit".

Pure numpy + Pillow: no Qt, no TensorFlow.
"""

from __future__ import annotations

import errno
import logging
import math
import os
import stat
import struct
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digitpad.errors import one_line

log = logging.getLogger(__name__)

SIDE = 28
BOX = 20
N_PIXELS = SIDE * SIDE

# Images whose longer side exceeds this are box-reduced (integer factor) before anything
# else, so an 8000x8000 drawing costs about as much as a 1000x1000 one.
MAX_WORK_SIDE = 1024
# "Only a speck": the ink's bounding box is shorter than this fraction of the image.
MIN_EXTENT_FRACTION = 0.03
# Below this total ink (in fully-inked pixels at working resolution) the image is blank.
MIN_INK_MASS = 2.0
# Ink below this (relative to the strongest ink) does not count for the bounding box.
BBOX_THRESHOLD = 0.1
# Smallest ink contrast (on a 0..1 scale) that is treated as a drawing rather than noise.
MIN_CONTRAST = 0.05
# Absolute noise floor subtracted from the ink (about 8 grey levels of 255); raised to
# three sigmas of the border's noise when the border is noisier than that.
NOISE_FLOOR = 0.03
# ITU-R BT.601 luma weights, the ones Pillow uses for RGB -> L.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


class ImageError(ValueError):
    """An image file cannot be loaded; the message is one line and names the file."""


# --------------------------------------------------------------------------- loading


# Raster formats opened, and only these: Pillow would otherwise hand PostScript/EPS (even
# named .png) to Ghostscript, and try dozens of exotic decoders on anything.
RASTER_FORMATS = ("PNG", "JPEG", "BMP", "DIB", "GIF", "TIFF", "WEBP", "PPM")  # JPEG includes MPO
RASTER_NAMES = "PNG, JPEG, BMP, GIF, TIFF, WebP, PGM/PPM"
# A file larger than this is not a drawing (a 4000x4000 uncompressed RGB BMP is 48 MB).
MAX_FILE_BYTES = 100 << 20
# Formats whose extra frames are pictures of their own (refused: which one is meant?). An
# MPO (a phone's JPEG) carries extra views of the same picture: its first is the photo.
_MULTI_FRAME_REFUSED = ("GIF", "TIFF", "WEBP")

# File names in error messages are cut (start … end) to this many characters.
NAME_LIMIT = 160

_ERRNO_WORDS = {
    errno.ENOENT: "no such file",
    errno.ENOTDIR: "no such file (a part of the path is not a folder)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "too many levels of symbolic links (a symbolic link loop)",
    errno.ENAMETOOLONG: "file name too long",
    errno.EISDIR: "is a directory, not an image",
}


def shown_path(path: str | os.PathLike, limit: int | None = None) -> str:
    """A path as it can be shown on one line: control characters (a newline in a file
    name) escaped as ``\\n``, ``\\t``, ``\\xNN``; everything else, accents included, as it is.
    With ``limit``, a longer path keeps its start and end around "…" (error messages)."""
    text = os.fsdecode(path)
    if limit is not None and len(text) > limit:
        text = text[: limit // 2] + "…" + text[-(limit - limit // 2 - 1) :]
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        else:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def os_error_words(exc: OSError) -> str:
    """An OSError in words, without the file name (the caller names the file)."""
    return _ERRNO_WORDS.get(exc.errno or -1) or (exc.strerror or one_line(exc))


def open_regular_file(path: str | os.PathLike, max_bytes: int, what: str = "image"):
    """Open ``path`` for reading if it is a regular file of at most ``max_bytes``; a binary
    file object. Never blocks on a FIFO or a device: the file is opened non-blocking and
    checked after opening (what is checked is what is read). ImageError otherwise."""
    name = shown_path(path, NAME_LIMIT)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise ImageError(f"{name}: is a directory, not an {what}") from None
        raise ImageError(f"{name}: {os_error_words(exc)}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ImageError(f"{name}: is a directory, not an {what}")
        if stat.S_ISFIFO(st.st_mode):
            raise ImageError(f"{name}: is a named pipe (FIFO), not a regular file")
        if not stat.S_ISREG(st.st_mode):
            raise ImageError(f"{name}: is a device or socket, not a regular file")
        if st.st_size > max_bytes:
            raise ImageError(f"{name}: {st.st_size:,} bytes is too large for an {what} (at most {max_bytes:,})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Load an image file as uint8: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA.

    Only regular files, only raster formats (:data:`RASTER_FORMATS`), one picture per file
    (an animated GIF or a multi-page TIFF is refused). Palette, 1-bit, grey+alpha, 16-bit,
    float, CMYK and other modes are converted; alpha is kept when the file has any. EXIF
    orientation is applied. Pillow's decompression-bomb limit stays on and its warning
    counts as an error; its other warnings (a corrupt EXIF block) are logged, not printed.
    Every failure is an :class:`ImageError` whose one-line message names the file.
    """
    name = shown_path(path, NAME_LIMIT)
    try:
        with open_regular_file(path, MAX_FILE_BYTES) as f, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(f, formats=RASTER_FORMATS) as im:
                frames = getattr(im, "n_frames", 1)
                if frames > 1 and im.format in _MULTI_FRAME_REFUSED:
                    raise ImageError(
                        f"{name}: has {frames} frames (an animation or a multi-page file); "
                        "save the one picture to recognise as a single image"
                    )
                im.load()
                im = ImageOps.exif_transpose(im)
                array = _pil_to_array(im)
        for w in caught:
            log.debug("%s: %s", name, w.message)
        return array
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{name}: image too large to load safely (decompression-bomb limit)") from None
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image file digitpad reads ({RASTER_NAMES})") from None
    except MemoryError:
        raise ImageError(f"{name}: not enough memory to load the image") from None
    except OSError as exc:
        if exc.errno is not None:
            raise ImageError(f"{name}: {os_error_words(exc)}") from None
        raise ImageError(f"{name}: truncated or corrupt image ({one_line(exc)})") from None
    except (ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error) as exc:
        raise ImageError(f"{name}: truncated or corrupt image ({one_line(exc)})") from None


def _pil_to_array(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("I", "F") or mode.startswith("I;"):
        return _high_depth_to_uint8(np.asarray(im), mode)
    if "transparency" in im.info or mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        return np.asarray(im.convert("RGBA"))
    if mode in ("1", "L"):
        return np.asarray(im.convert("L"))
    if mode == "P":
        return np.asarray(im.convert("RGB"))
    return np.asarray(im.convert("RGB"))  # RGB, RGBX, CMYK, YCbCr, HSV, ...


def _high_depth_to_uint8(arr: np.ndarray, mode: str) -> np.ndarray:
    """16-bit / 32-bit integer or float grey -> uint8, keeping the file's own scale."""
    a = arr.astype(np.float64)
    if not np.all(np.isfinite(a)):
        a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(a.min()), float(a.max())
    if mode.startswith("I;16"):
        scaled = a / 257.0
    elif lo >= 0 and hi <= 1.0 and mode == "F":
        scaled = a * 255.0
    elif lo >= 0 and hi <= 255:
        scaled = a
    elif lo >= 0 and hi <= 65535:
        scaled = a / 257.0
    else:
        scaled = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- validation


def _validate(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as an (H, W, C) array with C in 1..4; ValueError if unusable."""
    try:
        arr = np.asarray(image)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"image is not an array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"image must be numeric (uint8 or float), got dtype {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    elif arr.ndim != 3:
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"image is empty (shape {arr.shape})")
    if arr.shape[2] not in (1, 2, 3, 4):
        raise ValueError(
            f"image must have 1, 2, 3 or 4 channels (grey, grey+alpha, RGB, RGBA), got {arr.shape[2]}"
        )
    return arr


def _to_unit_float(arr: np.ndarray) -> np.ndarray:
    """(H, W, C) numeric -> float32 in [0, 1]: uint8 / 255, [0, 1] floats as they are,
    0..255 numbers / 255, 16-bit numbers / 65535, anything else min-max scaled."""
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) * np.float32(1 / 255)
    if arr.dtype.kind == "b":
        return arr.astype(np.float32)
    a = arr.astype(np.float32 if arr.dtype.itemsize <= 4 else np.float64)
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        raise ValueError("image contains NaN or infinite values")
    lo, hi = float(a.min()), float(a.max())
    if lo >= 0 and hi <= 1 and arr.dtype.kind == "f":
        out = a
    elif lo >= 0 and hi <= 255:
        out = a / 255
    elif lo >= 0 and hi <= 65535 and arr.dtype.kind in "ui":
        out = a / 65535
    elif hi > lo:  # divide first: hi - lo may overflow even float64
        span = max(abs(lo), abs(hi))
        out = (a.astype(np.float64) / span - lo / span) / (hi / span - lo / span)
    else:
        out = np.zeros_like(a)
    return np.clip(out, 0, 1).astype(np.float32, copy=False)


# --------------------------------------------------------------------------- ink


def to_ink(image: np.ndarray) -> np.ndarray:
    """Any grey / RGB / RGBA image -> float32 (H, W) in [0, 1], ink bright on black.

    Polarity comes from the background, estimated as the median of the outer frame: dark
    ink on light paper and light ink on a dark ground both work. Transparent pixels are
    background (composited over a shade contrasting with the opaque pixels); a fully
    opaque alpha channel is ignored. The contrast is stretched so the strongest ink is 1,
    after removing a small noise floor; an image without real contrast gives all zeros.
    """
    arr = _validate(image)
    unit = _to_unit_float(arr)
    channels = unit.shape[2]
    if channels in (1, 2):
        grey = unit[:, :, 0]
    else:
        grey = unit[:, :, :3] @ _LUMA
    if channels in (2, 4):
        grey = _composite_alpha(grey, unit[:, :, channels - 1])
    return _ink_from_grey(grey)


def _composite_alpha(grey: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    if float(alpha.min()) >= 1 - 0.5 / 255:
        return grey  # fully opaque: alpha carries nothing
    total = float(alpha.sum(dtype=np.float64))
    if total <= 0:
        return np.zeros_like(grey)  # fully transparent: blank
    opaque_shade = float((alpha * grey).sum(dtype=np.float64)) / total
    background = 0.0 if opaque_shade > 0.5 else 1.0
    return alpha * grey + (1 - alpha) * np.float32(background)


def _border(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    b = max(1, min(h, w) // 64)
    if 2 * b >= h or 2 * b >= w:
        return grey.ravel()
    return np.concatenate(
        [grey[:b].ravel(), grey[-b:].ravel(), grey[b:-b, :b].ravel(), grey[b:-b, -b:].ravel()]
    )


def _ink_from_grey(grey: np.ndarray) -> np.ndarray:
    border = _border(grey)
    background = float(np.median(border))
    light_field = estimate_light(grey) if ILLUMINATION else None
    field = light_field.field if light_field is not None else None
    if field is not None:  # unevenly lit: the ink's side as the light estimate found it
        dark_ink = light_field.dark_ink
    elif background > 0.6 or background < 0.4:
        dark_ink = background > 0.6  # evenly lit, a clearly light or dark ground
    else:  # evenly lit mid-grey ground: the side with more ink wins, counted beyond the
        # border's noise (three sigmas): in a grainy photo of grey paper, a centre a little
        # brighter than the border (a vignette too faint for the light estimate), summed over
        # the page, outweighed the pen and turned the ink's polarity (2 of 100 photos of
        # 4-digit numbers, pendigits writers 21-30); a clean image has no noise, as before
        noise = np.float32(3 * 1.4826 * float(np.median(np.abs(border - background))))
        dark = np.clip(background - grey - noise, 0, None)
        light = np.clip(grey - background - noise, 0, None)
        dark_ink = float(dark.sum()) >= float(light.sum())
    if field is None:  # evenly lit: the border's level is the background
        signed = (background - grey) if dark_ink else (grey - background)
    else:
        signed = (field - grey) if dark_ink else (grey - field)
    # The noise: from the border for an evenly lit image; in a photo from everywhere (ink is
    # a minority anywhere, and the border may be a flat fill or all shadow).
    edge = _border(signed) if field is None else signed[::2, ::2].ravel()
    sigma = 1.4826 * float(np.median(np.abs(edge - np.median(edge))))
    floor = max(NOISE_FLOOR, (3 if field is None else 4) * sigma)
    if field is not None and dark_ink:
        # Divide out the light once the noise is gone (sensor noise does not dim in a
        # shadow, the ink's contrast does): ink is equally strong in shadow and in light.
        scale = np.float32(float(np.percentile(field, 90))) / np.maximum(field, np.float32(0.05))
        ink = (np.clip(signed - np.float32(floor), 0, None) * scale).astype(np.float32, copy=False)
        floor = 0.0
    else:
        ink = np.clip(signed, 0, None).astype(np.float32, copy=False)
    peak = float(ink.max())
    if peak - floor < MIN_CONTRAST:
        return np.zeros(grey.shape, dtype=np.float32)
    ink = np.clip((ink - floor) * np.float32(1 / (peak - floor)), 0, 1)
    if field is not None:
        # A photo: what is left of shadow edges, paper grain and JPEG blocks is faint next to
        # pen ink; it must not widen the digit's box.
        ink = np.clip((ink - np.float32(PHOTO_CUT)) * np.float32(1 / (1 - PHOTO_CUT)), 0, 1)
        ink = _drop_border_blobs(ink)
    return ink.astype(np.float32, copy=False)


def _drop_border_blobs(ink: np.ndarray) -> np.ndarray:
    """In a photo, ink connected to the frame is a shadow's edge or the page's edge, not
    pen ink: remove it, unless that would remove most of the ink (a digit drawn to the
    edge). Connectivity is traced at low resolution (geodesic reconstruction)."""
    h, w = ink.shape
    f = max(1, math.ceil(max(h, w) / 128))
    hc, wc = h - h % f, w - w % f
    small = ink[:hc, :wc].reshape(hc // f, f, wc // f, f).max(axis=(1, 3)) > 0
    if not small.any():
        return ink
    marker = np.zeros_like(small)
    marker[0], marker[-1], marker[:, 0], marker[:, -1] = small[0], small[-1], small[:, 0], small[:, -1]
    if not marker.any():
        return ink
    for _ in range(small.size):
        grown = _rank_filter(marker.astype(np.float32), 3, np.max) > 0
        grown &= small
        if np.array_equal(grown, marker):
            break
        marker = grown
    drop = np.zeros((h, w), bool)
    drop[:hc, :wc] = np.repeat(np.repeat(marker, f, axis=0), f, axis=1)
    drop[hc:, :] = True if marker[-1].any() else drop[hc:, :]
    drop[:, wc:] = True if marker[:, -1].any() else drop[:, wc:]
    kept = np.where(drop, np.float32(0), ink)
    if float(kept.sum()) < 0.3 * float(ink.sum()):
        return ink
    return kept


# --------------------------------------------------------------------------- illumination
# Photos of paper are lit unevenly (a gradient, a vignette, a shadow over one edge): the
# paper's brightness is estimated everywhere and divided out before the ink is looked for.
# Which side is ink comes from the residual against a local mean (ink is the minority of
# each neighbourhood: its tail is the long one). The light itself is a morphological
# closing (dark ink; an opening for light ink) at low resolution with a window wider than
# any pen stroke: it removes the ink and keeps the light, sharp shadow edges included. An
# evenly lit image (a scan, a screenshot, MNIST) is left to the border's level as before.
ILLUMINATION = True  # benchmarks switch it off to compare (tests/bench_photos.py)
BG_WORK_SIDE = 96  # the light is estimated at this resolution (longer side)
BG_WINDOW_FRACTION = 0.2  # closing window, as a fraction of the longer side
BG_MIN_SIDE = 48  # smaller images (MNIST's 28x28) are taken as evenly lit
BG_MIN_VARIATION = 0.06  # the light's 2-98 % range under this: evenly lit
PHOTO_CUT = 0.25  # in an unevenly lit image, ink under this (of the strongest) is dropped


class _Light:
    def __init__(self, dark_ink: bool, field: np.ndarray | None):
        self.dark_ink = dark_ink
        self.field = field  # None: evenly lit


def estimate_light(grey: np.ndarray) -> _Light | None:
    """Which side is ink, and the paper's (or ground's) brightness at every pixel of
    ``grey`` (float32, same shape; ``None`` when evenly lit). ``None`` altogether for
    images too small to tell (MNIST's 28x28)."""
    h, w = grey.shape
    if max(h, w) < BG_MIN_SIDE:
        return None
    f = max(1, math.ceil(max(h, w) / BG_WORK_SIDE))
    g = np.ascontiguousarray(grey, dtype=np.float32)
    small = _reduce(g[:, :, None])[:, :, 0].astype(np.float32) if f > 1 else g
    # A photo's uneven light shows on its frame (a gradient, a vignette's corners, a shadow
    # over an edge); a scan, a screenshot or a drawn canvas has an even frame. Cheap, and
    # it keeps clean images off this path altogether.
    lo, hi = np.percentile(_border(_rank_filter(small, 3, np.mean)), [10, 90])
    if hi - lo < BG_MIN_VARIATION:
        return None
    k = max(3, int(round(max(small.shape) * BG_WINDOW_FRACTION)) | 1)
    residual = small - _rank_filter(small, k, np.mean)
    dark_tail = -float(np.percentile(residual, 0.2))
    light_tail = float(np.percentile(residual, 99.8))
    dark_ink = dark_tail >= light_tail
    if dark_ink:  # closing, with a slightly wider erosion: at a shadow's edge, err dark
        bg = _rank_filter(_rank_filter(small, k, np.max), k + 4, np.min)
    else:
        bg = _rank_filter(_rank_filter(small, k, np.min), k + 4, np.max)
    lo, hi = np.percentile(bg, [2, 98])
    if hi - lo < BG_MIN_VARIATION:
        return _Light(dark_ink, None)
    if bg.shape != (h, w):
        bg = np.asarray(Image.fromarray(bg, mode="F").resize((w, h), Image.Resampling.BILINEAR))
    return _Light(dark_ink, bg.astype(np.float32, copy=False))


def _rank_filter(a: np.ndarray, k: int, reduce) -> np.ndarray:
    """Separable k x k max / min / mean filter (``reduce`` is ``np.max``, ``np.min`` or
    ``np.mean``) with edge padding: k shifted whole-array operations per axis."""
    r = k // 2
    op = {np.max: np.maximum, np.min: np.minimum, np.mean: np.add}[reduce]
    out = np.asarray(a, np.float32)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        padded = np.pad(out, pad, mode="edge")
        n = out.shape[axis]

        def shifted(i: int, padded=padded, n=n, axis=axis) -> np.ndarray:
            return padded[i : i + n] if axis == 0 else padded[:, i : i + n]

        acc = shifted(0).copy()
        for i in range(1, k):
            op(acc, shifted(i), out=acc)
        out = acc / np.float32(k) if reduce is np.mean else acc
    return out


# --------------------------------------------------------------------------- MNIST framing


def center_of_mass_frame(digit: np.ndarray) -> np.ndarray:
    """Place an already-scaled digit (at most 28x28, normally <= 20x20) in a 28x28 frame
    with its centre of mass at (14, 14) in pixel-index coordinates.

    The shift is an integer, as in MNIST; it is clipped so the digit stays wholly inside
    the frame (no ink is ever cut off). Returns float32 (28, 28).
    """
    d = np.asarray(digit, dtype=np.float32)
    if d.ndim != 2 or d.shape[0] > SIDE or d.shape[1] > SIDE or d.size == 0:
        raise ValueError(f"digit must be a non-empty 2-D array of at most {SIDE}x{SIDE}, got {d.shape}")
    frame = np.zeros((SIDE, SIDE), dtype=np.float32)
    weights = np.clip(d, 0, None)
    rows = np.flatnonzero(weights.any(axis=1))
    cols = np.flatnonzero(weights.any(axis=0))
    if rows.size == 0:  # nothing to centre: centre the array itself
        top, left = (SIDE - d.shape[0]) // 2, (SIDE - d.shape[1]) // 2
        frame[top : top + d.shape[0], left : left + d.shape[1]] = d
        return frame
    d = d[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # only the ink must stay inside
    weights = weights[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = d.shape
    mass = float(weights.sum(dtype=np.float64))
    cy = float(weights.sum(axis=1, dtype=np.float64) @ np.arange(h)) / mass
    cx = float(weights.sum(axis=0, dtype=np.float64) @ np.arange(w)) / mass
    top = min(max(math.floor(SIDE / 2 - cy + 0.5), 0), SIDE - h)
    left = min(max(math.floor(SIDE / 2 - cx + 0.5), 0), SIDE - w)
    frame[top : top + h, left : left + w] = d
    return frame


def _reduce(arr: np.ndarray) -> np.ndarray:
    """Box-reduce an (H, W, C) array by an integer factor so its longer side is at most
    MAX_WORK_SIDE (the last < factor rows/columns, on the border, are dropped).

    Strided adds of whole rows, then of column groups, into a wide accumulator: one pass
    over the big array, ~0.1 s for 8000x8000 RGB, where a Pillow round trip costs 3-4x.
    Integers keep their dtype (rounded mean); floats give float32 (NaN/inf survive the
    mean and are rejected later by :func:`to_ink`)."""
    h, w, c = arr.shape
    f = math.ceil(max(h, w) / MAX_WORK_SIDE)
    if f <= 1:
        return arr
    fr, fc = min(f, h), min(f, w)  # a side shorter than f collapses to one pixel
    hc, wc = h - h % fr, w - w % fc
    if arr.dtype.itemsize == 1 and arr.dtype.kind in "ub" and fr * fc * 255 < 2**16:
        acc_dtype = np.uint16
    elif arr.dtype.kind in "uib":
        acc_dtype = np.float64
    else:
        acc_dtype = np.float32 if arr.dtype.itemsize <= 4 else np.float64
    rows = np.zeros((hc // fr, wc, c), dtype=acc_dtype)
    for k in range(fr):
        np.add(rows, arr[k:hc:fr, :wc], out=rows, casting="unsafe")
    acc = np.zeros((hc // fr, wc // fc, c), dtype=acc_dtype)
    for k in range(fc):
        np.add(acc, rows[:, k:wc:fc], out=acc)
    mean = acc / np.float32(fr * fc)
    if arr.dtype.kind in "ui":
        return np.rint(mean).astype(arr.dtype)
    return mean.astype(np.float32)


def preprocess(image: np.ndarray) -> np.ndarray | None:
    """Image -> float32 (784,) MNIST vector in [0, 1], or ``None`` for "no digit".

    "No digit": blank or near-blank (total ink under MIN_INK_MASS pixels), or a speck
    whose bounding box's longer side is under MIN_EXTENT_FRACTION of the image's.
    Otherwise: crop to the ink's bounding box, scale the longer side to 20 px keeping the
    aspect ratio (anti-aliased, shorter side at least 1 px), place by centre of mass.
    ValueError for arrays that are not images (see :func:`to_ink`).
    """
    arr = _reduce(_validate(image))
    ink = to_ink(arr)
    h, w = ink.shape
    if float(ink.sum(dtype=np.float64)) < MIN_INK_MASS:
        return None
    mask = ink > BBOX_THRESHOLD
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    left, right = int(cols[0]), int(cols[-1]) + 1
    bh, bw = bottom - top, right - left
    if max(bh, bw) < MIN_EXTENT_FRACTION * max(h, w):
        return None
    crop = np.ascontiguousarray(ink[top:bottom, left:right])
    scale = BOX / max(bh, bw)
    size = (max(1, round(bw * scale)), max(1, round(bh * scale)))  # PIL order: (w, h)
    digit = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR))
    digit = np.clip(digit, 0, None)
    peak = float(digit.max())
    if peak <= 0:
        return None
    digit = np.clip(digit / peak, 0, 1)
    return center_of_mass_frame(digit).ravel()


def preprocess_file(path: str | os.PathLike) -> np.ndarray | None:
    """:func:`load_image` + :func:`preprocess`; ImageError for unreadable files."""
    return preprocess(load_image(path))
