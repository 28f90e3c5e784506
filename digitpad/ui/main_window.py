"""The main window: tabs ("Draw", "Train"), menus, toolbar, status bar, settings.

The window wires things together and owns file/model commands; drawing lives in
:mod:`digitpad.ui.canvas`, the answer panel and prediction loop in :mod:`digitpad.ui.draw_tab`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QSpinBox, QTabWidget, QToolBar, QWidget

from digitpad.fileio import atomic_path
from digitpad.modelfiles import ModelError, model_base
from digitpad.predictor import Predictor
from digitpad.preprocessing import ImageError, load_image, to_ink
from digitpad.ui import dialogs
from digitpad.ui.canvas import DEFAULT_PEN_WIDTH, MAX_PEN_WIDTH, MIN_PEN_WIDTH
from digitpad.ui.draw_tab import DrawTab
from digitpad.ui.settings import KEY_GEOMETRY, KEY_PEN_WIDTH, KEY_SPLITTER, open_settings, read_bytes, read_int
from digitpad.ui.train_tab import TrainTab
from digitpad.ui.user_models import set_active_model

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pgm *.ppm);;All files (*)"
MESSAGE_MS = 10_000


class MainWindow(QMainWindow):
    def __init__(
        self,
        predictor: Predictor,
        notice: str | None = None,
        settings: QSettings | None = None,
        persist: bool = True,
    ):
        """``notice``: a message for the status bar (e.g. why the bundled model is used);
        ``persist=False`` neither writes settings on close (self-test)."""
        super().__init__()
        self.setWindowTitle("digitpad")
        self._settings = settings if settings is not None else open_settings()
        self._persist = persist
        self.draw_tab = DrawTab(predictor)
        self.canvas = self.draw_tab.canvas
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.draw_tab, "Draw")
        self.train_tab = TrainTab()
        self.add_tab(self.train_tab, "Train")
        self.train_tab.modelSaved.connect(self.load_model)
        self.setCentralWidget(self.tabs)
        self.model_label = QLabel()
        self.statusBar().addPermanentWidget(self.model_label)
        self.pen_width_box = QSpinBox()
        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self.canvas.historyChanged.connect(self._update_history_actions)
        self.canvas.fileDropped.connect(self.open_image)
        self._update_history_actions()
        self._show_model_status()
        self._restore_settings()
        if notice:
            self.statusBar().showMessage(notice)

    # Construction ---------------------------------------------------------------------
    def _action(self, text: str, slot, shortcuts=(), tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        c = self.canvas
        self.open_action = self._action("&Open image…", self._ask_open, ["Ctrl+O"], "Recognise a digit in an image file")
        self.save_action = self._action("&Save drawing…", self._ask_save, ["Ctrl+S"], "Save the canvas as a PNG")
        self.quit_action = self._action("&Quit", self.close, ["Ctrl+Q"])
        self.undo_action = self._action("&Undo", c.undo, ["Ctrl+Z"], "Undo the last stroke")
        self.redo_action = self._action("&Redo", c.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo the stroke undone")
        self.clear_action = self._action("&Clear", c.clear, ["Esc", "Delete"], "Clear the canvas")
        self.eraser_action = self._action("&Eraser", c.set_eraser, ["E"], "Draw with the eraser (or use the right button)")
        self.eraser_action.setCheckable(True)
        self.retrain_action = self._action("&Retrain…", self.show_train_tab, ["Ctrl+T"], "Train a new model (Train tab)")
        self.load_model_action = self._action("&Load model…", self._ask_load_model, [], "Use a model file (.tflite)")
        self.revert_model_action = self._action("&Revert to bundled model", self.revert_to_bundled)
        self.model_info_action = self._action("Model &info", self.show_model_info, ["Ctrl+I"])
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts, ["F1"])
        self.about_action = self._action("&About digitpad", self.show_about)

    def _make_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.file_menu.addActions([self.open_action, self.save_action])
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.edit_menu = bar.addMenu("&Edit")
        self.edit_menu.addActions([self.undo_action, self.redo_action, self.clear_action])
        self.edit_menu.addSeparator()
        self.edit_menu.addAction(self.eraser_action)
        self.model_menu = bar.addMenu("&Model")
        self.model_menu.addActions([self.retrain_action, self.load_model_action, self.revert_model_action])
        self.model_menu.addSeparator()
        self.model_menu.addAction(self.model_info_action)
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addActions([self.shortcuts_action, self.about_action])

    def _make_toolbar(self) -> None:
        self.toolbar = QToolBar("Drawing")
        self.toolbar.setObjectName("drawing_toolbar")
        self.toolbar.setMovable(False)
        self.toolbar.addActions([self.undo_action, self.redo_action, self.clear_action, self.eraser_action])
        self.toolbar.addSeparator()
        self.toolbar.addWidget(QLabel(" Pen width "))
        box = self.pen_width_box
        box.setRange(MIN_PEN_WIDTH, MAX_PEN_WIDTH)
        box.setSuffix(" px")
        box.setToolTip(f"Pen width on a 280-pixel canvas (default {DEFAULT_PEN_WIDTH})")
        box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        box.valueChanged.connect(self.canvas.set_pen_width)
        self.toolbar.addWidget(box)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.retrain_action)
        self.addToolBar(self.toolbar)

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab beside "Draw" (the Train tab); returns its index."""
        return self.tabs.addTab(widget, title)

    def show_train_tab(self) -> None:
        self.tabs.setCurrentWidget(self.train_tab)

    # Settings -------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self._settings
        self.pen_width_box.setValue(read_int(s, KEY_PEN_WIDTH, DEFAULT_PEN_WIDTH, MIN_PEN_WIDTH, MAX_PEN_WIDTH))
        self.canvas.set_pen_width(self.pen_width_box.value())
        geometry = read_bytes(s, KEY_GEOMETRY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(860, 600)
        splitter = read_bytes(s, KEY_SPLITTER)
        if splitter is not None:
            self.draw_tab.splitter.restoreState(splitter)

    def save_settings(self) -> None:
        s = self._settings
        s.setValue(KEY_GEOMETRY, self.saveGeometry())
        s.setValue(KEY_SPLITTER, self.draw_tab.splitter.saveState())
        s.setValue(KEY_PEN_WIDTH, self.pen_width_box.value())
        s.sync()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if not self.train_tab.confirm_close():  # asks, then stops training cleanly
            event.ignore()
            return
        if self._persist:
            self.save_settings()
        super().closeEvent(event)

    # Status ---------------------------------------------------------------------------
    def message(self, text: str) -> None:
        """A transient message in the status bar (errors, confirmations)."""
        self.statusBar().showMessage(text, MESSAGE_MS)

    def _show_model_status(self) -> None:
        p = self.draw_tab.predictor
        acc = p.accuracy
        acc_text = "MNIST accuracy unknown" if acc is None else f"MNIST accuracy {acc:.2%}"
        self.model_label.setText(f"Model: {p.name} · {acc_text}")
        self.model_label.setToolTip(str(p.path))

    def _update_history_actions(self) -> None:
        self.undo_action.setEnabled(self.canvas.can_undo())
        self.redo_action.setEnabled(self.canvas.can_redo())

    # Files ----------------------------------------------------------------------------
    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", _pictures_dir(), IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_image(self, path: str | os.PathLike) -> bool:
        """Show an image file on the canvas and predict it; on failure a status-bar message
        and the canvas keeps what it had."""
        try:
            source = load_image(path)
            ink = to_ink(source)
        except (ImageError, ValueError) as exc:
            self.message(f"Cannot open image: {exc}")
            log.warning("cannot open image: %s", exc)
            return False
        self.canvas.set_picture(source, ink)
        self.message(f"Opened {Path(path).name}")
        return True

    def _ask_save(self) -> None:
        default = str(Path(_pictures_dir()) / "digit.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save drawing", default, "PNG image (*.png)")
        if path:
            self.save_drawing(path)

    def save_drawing(self, path: str | os.PathLike) -> bool:
        """Write the canvas as a PNG, atomically (a failed save leaves no partial file)."""
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        try:
            with atomic_path(path) as tmp:
                if not self.canvas.image().save(str(tmp), "PNG"):
                    raise OSError("the PNG writer failed")
        except OSError as exc:
            self.message(f"Cannot save {path}: {exc.strerror or exc}")
            return False
        self.message(f"Saved {path}")
        return True

    # Models ---------------------------------------------------------------------------
    def set_predictor(self, predictor: Predictor) -> None:
        self.draw_tab.set_predictor(predictor)
        self._show_model_status()

    def _ask_load_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load model", "", "LiteRT model (*.tflite);;All files (*)")
        if path:
            self.load_model(path)

    def load_model(self, path: str | os.PathLike) -> bool:
        try:
            predictor = Predictor(model_base(path))
        except ModelError as exc:
            self.message(f"Cannot load model: {exc}")
            return False
        self.set_predictor(predictor)
        self._remember_model(predictor.base)
        self.message(f"Using model {predictor.name}")
        return True

    def revert_to_bundled(self) -> bool:
        try:
            predictor = Predictor.bundled()
        except ModelError as exc:
            self.message(f"Cannot load the bundled model: {exc}")
            return False
        self.set_predictor(predictor)
        self._remember_model(None)
        self.message("Using the bundled model")
        return True

    def _remember_model(self, base: Path | None) -> None:
        """The active model for the next start (``None``: the bundled one)."""
        if self._persist:
            set_active_model(self._settings, base)

    # Dialogs (non-blocking: they are returned, open) ----------------------------------------
    def show_model_info(self):
        return dialogs.model_info(self, self.draw_tab.predictor)

    def show_shortcuts(self):
        return dialogs.shortcuts(self, self.findChildren(QAction))

    def show_about(self):
        return dialogs.about(self)


def _pictures_dir() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
