"""The main window: tabs ("Draw", "Train", "My digits"), menus, toolbar, status bar, settings.

The window wires things together and owns file/model commands; drawing lives in
:mod:`digitpad.ui.canvas`, the answer panel and prediction loop in :mod:`digitpad.ui.draw_tab`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, QSize, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMainWindow, QTabWidget, QWidget

from digitpad.errors import one_line
from digitpad.fileio import atomic_path
from digitpad.ink import is_stroke_file, load_strokes
from digitpad.modelfiles import ModelError, model_base, read_meta
from digitpad.predictor import Predictor, load_predictor
from digitpad.preprocessing import ImageError, load_image, shown_path, to_ink
from digitpad.ui import dialogs
from digitpad.ui.canvas import DEFAULT_PEN_WIDTH, MAX_PEN_WIDTH, MIN_PEN_WIDTH
from digitpad.ui.corrections import Corrections
from digitpad.ui.digits_tab import DigitsTab
from digitpad.ui.draw_tab import DrawTab
from digitpad.ui.replay import replay
from digitpad.ui.settings import KEY_GEOMETRY, KEY_PEN_WIDTH, open_settings, read_bytes, read_int
from digitpad.ui.train_tab import TrainTab
from digitpad.ui.user_models import UserDataError, data_dir, models_dir, open_digit_store, set_active_model

log = logging.getLogger(__name__)

IMAGE_FILTER = (
    "Images and ink (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pgm *.ppm *.json *.inkml);;"
    "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pgm *.ppm);;"
    "Ink strokes (*.json *.inkml);;All files (*)"
)
MESSAGE_MS = 10_000
DEFAULT_SIZE = (1000, 680)
KEY_LAST_DIR = "files/last_dir"


class MainWindow(QMainWindow):
    """Signal ``firstFrame()``: the window's first frame has been painted (emitted once, on
    the event-loop turn after that paint, when it is on screen)."""

    firstFrame = Signal()

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
        self._scoped: dict[QAction, tuple[QWidget, object]] = {}
        self.tabs.addTab(self.draw_tab, "Draw")
        self.train_tab = TrainTab()
        self.add_tab(self.train_tab, "Train")
        self.train_tab.modelSaved.connect(self.load_model)
        self.train_tab.modelChosen.connect(self.load_model)
        # The user's digits: corrections on the Draw tab, the gallery and Personalise.
        # The self-test (persist=False) keeps away from the user's data.
        store, store_notice = open_digit_store() if persist else (None, None)
        self.corrections = Corrections(self.draw_tab, store, self.message)
        self.digits_tab = DigitsTab(store, base_model=self._personalise_base)
        self.digits_tab.models_folder = models_dir
        self.add_tab(self.digits_tab, "My digits")
        self.digits_tab.message.connect(self.message)
        self.digits_tab.modelReady.connect(self.load_model)
        self.corrections.stored.connect(lambda _d: self.digits_tab.changed())
        self.corrections.takenBack.connect(lambda _d: self.digits_tab.changed())
        notice = notice or store_notice
        self.setCentralWidget(self.tabs)
        self.model_label = QLabel()
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)  # a model's name is data, not markup
        self.statusBar().addPermanentWidget(self.model_label)
        self.pen_width_box = self.draw_tab.pen_width_box
        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self.canvas.historyChanged.connect(self._update_scoped_actions)
        self.canvas.fileDropped.connect(self.open_image)
        self.tabs.currentChanged.connect(self._tab_changed)
        self._update_scoped_actions()
        self._show_model_status()
        self._restore_settings()
        if notice:
            self.statusBar().showMessage(notice)
        self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
        self._painted = False

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
        self.undo_action = self._action("&Undo", self.undo, ["Ctrl+Z"], "Undo the last stroke (or take back a correction)")
        self.redo_action = self._action("&Redo", c.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo the stroke undone")
        self.clear_action = self._action("&Clear", c.clear, ["Esc", "Delete"], "Clear the canvas")
        self.eraser_action = self._action("&Eraser", c.set_eraser, ["E"], "Draw with the eraser (or use the right button)")
        self.eraser_action.setCheckable(True)
        self.copy_action = self._action("&Copy number", self.draw_tab.copy_number, ["Ctrl+C"],
                                        "Copy the number (or the digit) read on the canvas as text")
        for action in (self.clear_action, self.eraser_action, self.copy_action):
            self.scope_to_tab(self.draw_tab, action)
        self.scope_to_tab(self.draw_tab, self.undo_action, c.can_undo)
        self.scope_to_tab(self.draw_tab, self.redo_action, c.can_redo)
        self.retrain_action = self._action("&Retrain…", self.show_train_tab, ["Ctrl+T"], "Train a new model (Train tab)")
        self.personalise_action = self._action("&Personalise…", self.personalise, [],
                                               "Fine-tune the model on your digits (My digits tab)")
        self.load_model_action = self._action("&Load model…", self._ask_load_model, [], "Use a model file (.tflite)")
        self.revert_model_action = self._action("&Revert to bundled model", self.revert_to_bundled)
        self.models_action = self._action("&Models…", self.show_models, ["Ctrl+M"], "Your models: choose, rename, delete")
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
        self.edit_menu.addActions([self.undo_action, self.redo_action, self.clear_action, self.copy_action])
        self.edit_menu.addSeparator()
        self.edit_menu.addAction(self.eraser_action)
        self.model_menu = bar.addMenu("&Model")
        self.model_menu.addActions([self.retrain_action, self.personalise_action, self.models_action,
                                    self.load_model_action, self.revert_model_action])
        self.model_menu.addSeparator()
        self.model_menu.addAction(self.model_info_action)
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addActions([self.shortcuts_action, self.about_action])

    def _make_toolbar(self) -> None:
        bar = self.draw_tab.toolbar
        bar.addActions([self.undo_action, self.redo_action, self.clear_action, self.eraser_action])
        bar.addSeparator()
        self.draw_tab.add_pen_width_box()
        bar.addSeparator()
        bar.addAction(self.retrain_action)

    def add_tab(self, widget: QWidget, title: str, actions=()) -> int:
        """Add a tab; returns its index. ``actions`` belong to that tab: their shortcuts
        and menu entries work only while it is the current tab (see :meth:`scope_to_tab`)."""
        index = self.tabs.addTab(widget, title)
        for action in actions:
            self.scope_to_tab(widget, action)
        return index

    def scope_to_tab(self, tab: QWidget, action: QAction, enabled_when=None) -> None:
        """Make ``action`` work only while ``tab`` is the current tab (and, if given, while
        ``enabled_when()`` is true): on other tabs it is disabled, so its keys neither act
        on a hidden widget nor reach it through the menus."""
        self._scoped[action] = (tab, enabled_when)
        self._update_scoped_actions()

    def tab_of(self, action: QAction) -> QWidget | None:
        """The tab an action is scoped to (``None``: it works everywhere)."""
        entry = self._scoped.get(action)
        return entry[0] if entry else None

    def _update_scoped_actions(self) -> None:
        current = self.tabs.currentWidget()
        for action, (tab, enabled_when) in self._scoped.items():
            action.setEnabled(tab is current and (enabled_when is None or bool(enabled_when())))

    def _tab_changed(self, _index: int) -> None:
        self._update_scoped_actions()
        if self.tabs.currentWidget() is self.draw_tab:
            self.draw_tab.focus_canvas()

    def show_train_tab(self) -> None:
        self.tabs.setCurrentWidget(self.train_tab)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        if not self._painted:
            QApplication.instance().installEventFilter(self)
        super().showEvent(event)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        # Watching every event costs a little: only until the first widget of this window
        # is painted. The frame is flushed once that paint pass ends, hence the timer.
        if (
            not self._painted
            and event.type() == QEvent.Type.Paint
            and isinstance(watched, QWidget)
            and watched.window() is self
        ):
            self._painted = True
            QApplication.instance().removeEventFilter(self)
            QTimer.singleShot(0, self.firstFrame.emit)
        return super().eventFilter(watched, event)

    def undo(self) -> None:
        """Ctrl+Z: take back a correction just stored, else undo the last stroke."""
        if not self.corrections.take_back():
            self.canvas.undo()

    def personalise(self) -> bool:
        """Model → Personalise: the My digits tab, personalising the active model."""
        self.tabs.setCurrentWidget(self.digits_tab)
        return self.digits_tab.start_personalise()

    def _personalise_base(self) -> Path:
        from digitpad.personalise import root_model

        return root_model(self.draw_tab.predictor.base)

    # Settings -------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self._settings
        self.pen_width_box.setValue(read_int(s, KEY_PEN_WIDTH, DEFAULT_PEN_WIDTH, MIN_PEN_WIDTH, MAX_PEN_WIDTH))
        self.canvas.set_pen_width(self.pen_width_box.value())
        geometry = read_bytes(s, KEY_GEOMETRY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(self._default_size())

    def _default_size(self) -> QSize:
        """The first-start size, shrunk to fit a small (or scaled) screen."""
        size = QSize(*DEFAULT_SIZE)
        screen = self.screen() or QApplication.primaryScreen()
        if screen is not None:
            room = screen.availableGeometry().size() - QSize(40, 60)  # frame and title bar
            size = size.boundedTo(room).expandedTo(self.minimumSizeHint())
        return size

    def save_settings(self) -> None:
        s = self._settings
        s.setValue(KEY_GEOMETRY, self.saveGeometry())
        s.setValue(KEY_PEN_WIDTH, self.pen_width_box.value())
        s.sync()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if not self.train_tab.confirm_close():  # asks, then stops training cleanly
            event.ignore()
            return
        self.digits_tab.shutdown()
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

    # Files ----------------------------------------------------------------------------
    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.pictures_dir(), IMAGE_FILTER)
        if path:
            self._settings.setValue(KEY_LAST_DIR, str(Path(path).parent))
            self.open_image(path)

    def open_image(self, path: str | os.PathLike) -> bool:
        """Show an image file on the canvas and predict it; a stroke file (``.json``,
        ``.inkml``) is drawn as strokes, through the same code as the mouse (so the model
        sees what ``digitpad predict`` computes for it). On failure a status-bar message and
        the canvas keeps what it had."""
        try:
            if is_stroke_file(path):
                strokes = load_strokes(path)
            else:
                source = load_image(path)
                ink = to_ink(source)
        except (ImageError, ValueError) as exc:
            what = "ink file" if is_stroke_file(path) else "image"
            self.message(f"Cannot open {what}: {one_line(exc)}")
            log.warning("cannot open %s: %s", what, one_line(exc))
            return False
        if is_stroke_file(path):
            self.canvas.clear()
            replay(self.canvas, strokes)
        else:
            self.canvas.set_picture(source, ink)
        self.message(f"Opened {shown_path(Path(path).name)}")
        return True

    def _ask_save(self) -> None:
        default = str(Path(self.pictures_dir()) / "digit.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save drawing", default, "PNG image (*.png)")
        if path:
            self._settings.setValue(KEY_LAST_DIR, str(Path(path).parent))
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

    def pictures_dir(self) -> str:
        """Where Open image and Save drawing start: the folder used last, else Pictures,
        else home (never a suggested "Pictures" that does not exist)."""
        last = self._settings.value(KEY_LAST_DIR)
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        return _existing(str(last) if last else None, pictures)

    def models_dir(self) -> str:
        """Where Load model starts: the folder of the user's models (else their data
        folder, else home)."""
        try:
            return _existing(models_dir(), data_dir())
        except UserDataError:
            return _existing()

    # Models ---------------------------------------------------------------------------
    def set_predictor(self, predictor: Predictor) -> None:
        self.draw_tab.set_predictor(predictor)
        self._show_model_status()

    def _ask_load_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load model", self.models_dir(), "LiteRT model (*.tflite);;All files (*)")
        if path:
            self.load_model(path)

    def load_model(self, path: str | os.PathLike) -> bool:
        """Use the model at ``path`` (checked on load: one that cannot predict is refused
        and the current model stays). The window runs ``.tflite`` models: a chosen ``.keras``
        is used through the ``.tflite`` saved beside it, and the message says so."""
        path = Path(path)
        via = ""
        if path.suffix == ".keras":
            tflite = path.with_suffix(".tflite")
            if not tflite.is_file():
                self.message(f"Cannot load model: {path.name} has no {tflite.name} beside it "
                             "(the app runs LiteRT .tflite models; a .keras is for retraining)")
                return False
            via = f" (its {tflite.name}, beside the chosen {path.name})"
        try:
            predictor, _ = load_predictor(model_base(path), fallback=False)
        except ModelError as exc:
            self.message(f"Cannot load model: {exc}")
            return False
        self.set_predictor(predictor)
        self._remember_model(predictor.base)
        self.message(f"Using model {predictor.name}{via}")
        return True

    def revert_to_bundled(self) -> bool:
        try:
            predictor, _ = load_predictor()
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

    def show_models(self):
        """The Models dialog (non-modal; returned open)."""
        from digitpad.ui.models_dialog import ModelsDialog

        dialog = ModelsDialog(
            self,
            active_base=lambda: self.draw_tab.predictor.base,
            activate=lambda base: self.revert_to_bundled() if base is None else self.load_model(base),
        )
        dialog.changed.connect(self._model_files_changed)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _model_files_changed(self) -> None:
        # A rename rewrote the active model's description: show its new name.
        p = self.draw_tab.predictor
        p.meta = read_meta(p.base)
        self._show_model_status()

    def show_shortcuts(self):
        def where(action: QAction) -> str:
            tab = self.tab_of(action)
            return "Everywhere" if tab is None else f"{self.tabs.tabText(self.tabs.indexOf(tab)).replace('&', '')} tab"

        return dialogs.shortcuts(self, self.findChildren(QAction), where)

    def show_about(self):
        return dialogs.about(self)


def _existing(*candidates) -> str:
    """The first candidate folder that exists (the home folder if none does)."""
    for c in candidates:
        if c and Path(c).is_dir():
            return str(c)
    return str(Path.home())
