"""Training-time augmentation that looks like drawing, as TensorFlow ops on a batch.

Each digit gets its own random affine warp (rotation, shear/slant, a different scale per
axis, a small shift) and a random stroke-thickness change (a blend towards a 3x3
dilation or erosion). Everything runs inside the ``tf.data`` pipeline, never inside the
model, so the exported ``.tflite`` is the plain inference graph.

Randomness is stateless and keyed by (seed, batch number), so a run is reproducible
with the same seed. TensorFlow is imported only when :func:`make_augmenter` is called.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SIDE = 28


@dataclass(frozen=True)
class AugmentSettings:
    rotation_deg: float = 12.0  # uniform in +-rotation_deg
    shear: float = 0.25  # slant: x += shear * y, uniform in +-shear
    scale_min: float = 0.85  # per-axis scale, uniform in [scale_min, scale_max]
    scale_max: float = 1.10
    shift_px: float = 2.0  # uniform in +-shift_px on each axis
    thicker: float = 0.8  # up to this fraction of a 3x3 dilation
    thinner: float = 0.5  # up to this fraction of a 3x3 erosion (thin strokes vanish)
    probability: float = 0.9  # share of digits that are warped at all


def make_augmenter(seed: int, settings: AugmentSettings | None = None) -> Callable[[Any, Any], Any]:
    """``fn(batch_index, (x, y)) -> (x_aug, y)`` for ``Dataset.enumerate().map``.

    ``x`` is a (B, 784) float32 batch with ink bright on black (any scale: 0..1 or
    0..255; the warp is linear and the thickness blend keeps the range).
    """
    import tensorflow as tf

    s = settings or AugmentSettings()
    centre = (SIDE - 1) / 2.0

    def augment(index, batch):
        x, y = batch
        b = tf.shape(x)[0]
        base = tf.stack([tf.constant(seed, tf.int64), tf.cast(index, tf.int64)])
        seeds = [base + tf.constant([0, k * 1_000_003], tf.int64) for k in range(8)]

        def uni(k, lo, hi):
            return tf.random.stateless_uniform([b], seeds[k], lo, hi)

        on = tf.cast(uni(7, 0.0, 1.0) < s.probability, tf.float32)
        angle = uni(0, -1.0, 1.0) * (s.rotation_deg * math.pi / 180.0) * on
        shear = uni(1, -s.shear, s.shear) * on
        sx = 1.0 + (uni(2, s.scale_min, s.scale_max) - 1.0) * on
        sy = 1.0 + (uni(3, s.scale_min, s.scale_max) - 1.0) * on
        tx = uni(4, -s.shift_px, s.shift_px) * on
        ty = uni(5, -s.shift_px, s.shift_px) * on

        # Forward map (about the centre): out = R(angle) @ Shear(shear) @ S(sx, sy) @ in + t.
        cos, sin = tf.cos(angle), tf.sin(angle)
        a = cos * sx
        bb = (cos * shear - sin) * sy
        c = sin * sx
        d = (sin * shear + cos) * sy
        # ImageProjectiveTransformV3 wants the inverse (output pixel -> input pixel).
        det = a * d - bb * c
        ia, ib, ic, id_ = d / det, -bb / det, -c / det, a / det
        ox, oy = centre + tx, centre + ty
        a2 = centre - (ia * ox + ib * oy)
        b2 = centre - (ic * ox + id_ * oy)
        zeros = tf.zeros_like(ia)
        transforms = tf.stack([ia, ib, a2, ic, id_, b2, zeros, zeros], axis=1)

        img = tf.reshape(x, [b, SIDE, SIDE, 1])
        img = tf.raw_ops.ImageProjectiveTransformV3(
            images=img,
            transforms=transforms,
            output_shape=tf.constant([SIDE, SIDE]),
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode="CONSTANT",
        )

        # Thickness: t > 0 blends towards a dilation, t < 0 towards an erosion.
        t = tf.reshape(uni(6, -s.thinner, s.thicker) * on, [b, 1, 1, 1])
        dilated = tf.nn.max_pool2d(img, 3, 1, "SAME")
        eroded = -tf.nn.max_pool2d(-img, 3, 1, "SAME")
        img = tf.where(t > 0, img + t * (dilated - img), img - t * (eroded - img))
        return tf.reshape(img, [b, SIDE * SIDE]), y

    return augment
