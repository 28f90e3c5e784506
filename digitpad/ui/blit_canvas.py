"""The one blitting matplotlib canvas behind the probability chart and the history chart.

matplotlib's "embedding in Qt" and blitting recipes: a ``Figure`` on a ``FigureCanvasQTAgg``
(never pyplot) whose changing artists are created once with ``animated=True``. A full draw
leaves them out; the ``draw_event`` then caches the background and paints them on top. An
update (:meth:`BlitCanvas.refresh`) restores that background and repaints only the animated
artists (~1 ms) instead of the axes and tick labels (15-240 ms here). With no background
(first show, after a resize) or when the axes changed, it asks for a full draw instead.
"""

from __future__ import annotations

from typing import Any

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtWidgets import QWidget


class BlitCanvas(FigureCanvasQTAgg):
    """Subclasses create their animated artists, return them from :meth:`animated_artists`,
    call :meth:`refresh` after changing them, and may override :meth:`fit_margins`
    (called on every resize)."""

    def __init__(self, figure: Figure, parent: QWidget | None = None):
        super().__init__(figure)
        self.setParent(parent)
        self._background: Any = None
        self.full_draws = 0  # how many refreshes needed a full draw (the rest were blitted)
        self.mpl_connect("draw_event", self._on_draw)

    def animated_artists(self) -> list[Any]:
        raise NotImplementedError

    def fit_margins(self) -> None:
        """Lay the axes out for the figure's current size (nothing by default)."""

    def refresh(self, full: bool = False, now: bool = False) -> None:
        """Show the animated artists' new state: blitted over the cached background, or a
        full draw when ``full`` (the axes changed) or there is no background to blit on;
        ``now`` draws a full draw at once rather than on the next idle turn."""
        if full or self._background is None or not self.isVisible():
            self._background = None
            self.full_draws += 1
            if now:
                self.draw()
            else:
                self.draw_idle()
            return
        self.restore_region(self._background)
        for artist in self.animated_artists():
            self.figure.draw_artist(artist)
        self.blit(self.figure.bbox)

    def _on_draw(self, _event) -> None:
        # A full draw leaves out the animated artists: cache the background, then add them.
        self._background = self.copy_from_bbox(self.figure.bbox)
        for artist in self.animated_artists():
            self.figure.draw_artist(artist)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._background = None
        super().resizeEvent(event)  # resizes the figure
        self.fit_margins()


def fit_margins(figure: Figure, margins: dict[str, float], **extra: float) -> None:
    """Margins fixed in inches (``margins``: left/right/bottom/top), so labels keep their
    room at any widget size; ``extra`` goes to ``subplots_adjust`` as it is. A figure too
    small for the margins is left alone."""
    w, h = figure.get_size_inches()
    if w <= margins["left"] + margins["right"] or h <= margins["bottom"] + margins["top"]:
        return
    figure.subplots_adjust(
        left=margins["left"] / w,
        right=1 - margins["right"] / w,
        bottom=margins["bottom"] / h,
        top=1 - margins["top"] / h,
        **extra,
    )
