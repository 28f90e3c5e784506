"""Correct or confirm what the model read, in one gesture.

- clicking a bar of the probability chart, or pressing a digit key 0-9 while the canvas
  has focus, stores the drawing with that digit as its label;
- Enter (or Return) on the canvas confirms the prediction: stores it with the digit read;
- the status bar says what was stored; Ctrl+Z right after takes it back (the row is
  deleted and the drawing comes back on the canvas).

After storing, the canvas is cleared (undoably) for the next digit. Each correction is
one SQLite transaction (:meth:`digitpad.mydigits.DigitStore.add`), committed before the
key or click handler returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence

from digitpad.mydigits import Digit, DigitStore, DigitStoreError, make_digit
from digitpad.predictor import DIGIT, EMPTY
from digitpad.ui.draw_tab import DrawTab

log = logging.getLogger(__name__)

# After this many digits (and every time as many more), the status bar suggests Personalise.
SUGGEST_EVERY = 30


class Corrections(QObject):
    """Signals ``stored(Digit)`` and ``takenBack(Digit)``."""

    stored = Signal(object)
    takenBack = Signal(object)

    def __init__(self, draw_tab: DrawTab, store: DigitStore | None, message: Callable[[str], None]):
        super().__init__(draw_tab)
        self.tab = draw_tab
        self.canvas = draw_tab.canvas
        self.store = store
        self._message = message
        self._last: tuple[Digit, bool] | None = None  # what Ctrl+Z takes back; was the canvas cleared
        self.actions: list[QAction] = []
        for digit in range(10):
            self._add_action(f"Store as {digit}", [str(digit)], lambda _=False, d=digit: self.record(d))
        self.confirm_action = self._add_action("Confirm the prediction", ["Return", "Enter"], lambda _=False: self.confirm())
        draw_tab.chart.barClicked.connect(self.record)
        draw_tab.chart.setToolTip("Click a bar to store this drawing as that digit (your digits teach the model)")
        self.canvas.contentChanged.connect(self._on_canvas_changed)

    def _add_action(self, text: str, keys: list[str], slot) -> QAction:
        action = QAction(text, self.canvas)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # only while the canvas has focus
        action.triggered.connect(slot)
        self.canvas.addAction(action)
        self.actions.append(action)
        return action

    # Gestures -------------------------------------------------------------------------
    def record(self, label: int) -> Digit | None:
        """Store what the canvas shows as ``label`` (for a number: the digit the panel
        shows, and the canvas keeps the number)."""
        prediction, vector = self.tab.prediction, self.tab.vector
        strokes = self.canvas.stroke_points() if self._strokes_route() else None
        number = getattr(self.tab, "number", None)
        part = ""
        if number is not None and len(number) >= 2:
            index = self.tab.selected_digit() or 0
            reading = number.digits[index]
            prediction, vector = reading.prediction, reading.vector
            if strokes is not None:
                strokes = [strokes[m] for m in reading.members if m < len(strokes)] or None
            part = f"digit {index + 1} of {len(number)} "
        if prediction.state == EMPTY or vector is None:
            self._message("Draw a digit first, then click its bar or press its key")
            return None
        if self.store is None:
            self._message("Your digits cannot be stored (see the message at start-up)")
            return None
        try:
            digit = make_digit(
                label, strokes, vector,
                model=self.tab.predictor.name, predicted=prediction.best, state=prediction.state,
                confidence=prediction.confidence,
            )
            new_id = self.store.add(digit)
        except (DigitStoreError, ValueError) as exc:
            self._message(f"Not stored: {exc}")
            return None
        said = self._said(prediction, label)
        if new_id is None:
            self._message(f"This {label} is already among your digits")
            return None
        count = self.store.count()
        cleared = not part
        self._last = (digit, cleared)
        if cleared:
            self.canvas.clear()  # ready for the next digit; a number stays to correct its others
        suggest = " · Model → Personalise learns them" if count % SUGGEST_EVERY == 0 else ""
        self._message(f"Stored {part}as {label} ({said}) · {count} of your digits · Ctrl+Z takes it back{suggest}")
        self.stored.emit(digit)
        return digit

    def confirm(self) -> Digit | None:
        """Enter: the prediction was right."""
        prediction = self.tab.prediction
        if prediction.state == EMPTY:
            self._message("Draw a digit first")
            return None
        if prediction.state != DIGIT or prediction.digit is None:
            self._message("Nothing to confirm: the model is not sure. Click the right bar or press the digit")
            return None
        return self.record(prediction.digit)

    def can_take_back(self) -> bool:
        return self._last is not None

    def take_back(self) -> bool:
        """Undo the last correction: delete its row and bring the drawing back."""
        last, self._last = self._last, None
        if last is None or self.store is None:
            return False
        digit, cleared = last
        try:
            self.store.delete([digit.id])
        except DigitStoreError as exc:
            self._message(str(exc))
            return False
        if cleared:
            self._restoring = True
            try:
                self.canvas.undo()  # the clear that followed the correction
            finally:
                self._restoring = False
        self._message(f"Took back the {digit.label}: it is no longer among your digits")
        self.takenBack.emit(digit)
        return True

    # Internals ------------------------------------------------------------------------
    _restoring = False

    def _on_canvas_changed(self) -> None:
        # Drawing again (or any change but the correction's own clear) ends the chance to
        # take the correction back with Ctrl+Z: Ctrl+Z is the stroke's undo again.
        if self._last is not None and not self._restoring and (not self._last[1] or not self.canvas.is_blank()):
            self._last = None

    def _strokes_route(self) -> bool:
        from digitpad.ui.model_input import uses_strokes

        return uses_strokes(self.canvas)

    @staticmethod
    def _said(prediction, label: int) -> str:
        if prediction.state == DIGIT and prediction.digit == label:
            return "the model read it right"
        if prediction.state == DIGIT:
            return f"the model read {prediction.digit}"
        return f"the model was {'not sure' if prediction.state == 'unsure' else 'reading no digit'}"
