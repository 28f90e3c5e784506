"""The Train tab's settings form: a preset and its training settings, as a TrainConfig.

Choosing a preset resets every setting to its defaults; the widgets enforce the ranges
that :class:`~digitpad.training.TrainConfig` accepts, so :meth:`TrainSettingsForm.config`
fails only for a combination the preset cannot train.
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from digitpad import pendata
from digitpad.presets import DEFAULT_PRESET, PRESETS, get_preset
from digitpad.training import TrainConfig

MAX_EPOCHS = 1000
MAX_BATCH = 10_000
MAX_SEED = 2**31 - 1
RANDOM_SEED = -1  # the seed box's special value: a random seed, recorded with the run
DEFAULT_SEED = 1
KEY_PEN_DATA = "train/pen_data"  # the pen-data folder or file the user chose last
KEY_LAST_SETTINGS = "train/settings"  # the settings of the last Start, as JSON


def _path_row(tooltip: str, browse) -> tuple[QLineEdit, QPushButton, QHBoxLayout]:
    """A path field ("Automatic" when empty) with a Browse… button beside it."""
    edit = QLineEdit()
    edit.setPlaceholderText("Automatic")
    edit.setClearButtonEnabled(True)
    edit.setToolTip(tooltip)
    button = QPushButton("Browse…")
    button.clicked.connect(browse)
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    row.addWidget(button)
    return edit, button, row


class TrainSettingsForm(QWidget):
    """The "Settings" group (preset, epochs, batch size, optimizer, learning rate,
    validation, augmentation, seed, MNIST file, pen data) and the preset's description
    below it. The pen-data line says which stroke files training will use, or that it
    will train on MNIST alone."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.preset_box = QComboBox()
        for p in PRESETS.values():
            self.preset_box.addItem(p.label, p.name)
        self.preset_box.setToolTip("Architecture; choosing one resets the settings to its defaults")
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(1, MAX_EPOCHS)
        self.batch_box = QSpinBox()
        self.batch_box.setRange(1, MAX_BATCH)
        self.optimizer_box = QComboBox()
        self.optimizer_box.addItem("SGD", "sgd")
        self.optimizer_box.addItem("Adam", "adam")
        self.lr_box = QDoubleSpinBox()
        self.lr_box.setDecimals(5)
        self.lr_box.setRange(0.00001, 10.0)
        self.lr_box.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.val_box = QDoubleSpinBox()
        self.val_box.setDecimals(2)
        self.val_box.setRange(0.0, 0.5)
        self.val_box.setSingleStep(0.05)
        self.val_box.setToolTip("Fraction of the training set held out to measure validation accuracy")
        self.augment_box = QCheckBox("Drawing-like augmentation")
        self.my_digits_box = QCheckBox("Include my digits")
        self.my_digits_box.setToolTip("Add the digits you corrected or confirmed (My digits tab) to the training set")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(RANDOM_SEED, MAX_SEED)
        self.seed_box.setSpecialValueText("random")
        self.seed_box.setValue(DEFAULT_SEED)
        self.seed_box.setToolTip("The same seed and settings train the same model; lowest value: random")
        self.data_edit, self.browse_button, data_row = _path_row(
            "MNIST mnist.npz; empty: automatic ($DIGITPAD_MNIST, the Keras cache, then download)",
            self._ask_data_file,
        )
        self.pen_edit, self.pen_browse_button, pen_row = _path_row(
            "A folder of stroke files (pendigits_strokes.npz, unipen_train_strokes.npz, "
            f"unipen_nondigits_train_strokes.npz) or one file; empty: ${pendata.ENV_VAR}, "
            "else the folder chosen last",
            self._ask_pen_folder,
        )
        self.pen_label = QLabel()  # which pen data training will use, in words
        self.pen_label.setWordWrap(True)
        self.pen_label.setStyleSheet("color: #555555")
        self.pen_edit.textChanged.connect(self._show_pen_data)

        form = QFormLayout()
        form.addRow("Model", self.preset_box)
        form.addRow("Epochs", self.epochs_box)
        form.addRow("Batch size", self.batch_box)
        form.addRow("Optimizer", self.optimizer_box)
        form.addRow("Learning rate", self.lr_box)
        form.addRow("Validation", self.val_box)
        form.addRow("", self.augment_box)
        form.addRow("", self.my_digits_box)
        form.addRow("Seed", self.seed_box)
        form.addRow("MNIST", data_row)
        form.addRow("Pen data", pen_row)
        form.addRow("", self.pen_label)
        self.settings_group = QGroupBox("Settings")  # disabled while training
        self.settings_group.setLayout(form)
        self.description_label = QLabel()
        self.description_label.setWordWrap(True)
        self.description_label.setStyleSheet("color: #555555")

        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.settings_group)
        col.addWidget(self.description_label)
        self.preset_box.currentIndexChanged.connect(self._preset_chosen)
        self.apply_preset(DEFAULT_PRESET)

    def apply_preset(self, name: str) -> None:
        """Select preset ``name`` and reset every setting to its defaults."""
        index = self.preset_box.findData(name)
        if index < 0:
            raise ValueError(f"unknown preset {name!r}")
        self.preset_box.blockSignals(True)
        self.preset_box.setCurrentIndex(index)
        self.preset_box.blockSignals(False)
        p = get_preset(name)
        self.epochs_box.setValue(p.epochs)
        self.batch_box.setValue(min(p.batch_size, MAX_BATCH))
        self.optimizer_box.setCurrentIndex(self.optimizer_box.findData(p.optimizer))
        self.lr_box.setValue(p.learning_rate)
        self.val_box.setValue(p.validation_split)
        self.augment_box.setChecked(p.augment and p.supports_augment)
        self.augment_box.setEnabled(p.supports_augment)
        self.augment_box.setToolTip("" if p.supports_augment else f"{p.label} does not support augmentation")
        self.description_label.setText(p.description)
        self._show_pen_data()

    def apply_settings(self, settings: dict) -> None:
        """Fill the form from a run's (or the last session's) settings: the preset's
        defaults first, then every value given that the widgets accept."""
        preset = settings.get("preset")
        if self.preset_box.findData(preset) < 0:
            raise ValueError(f"unknown preset {preset!r}")
        self.apply_preset(preset)
        boxes = {"epochs": self.epochs_box, "batch_size": self.batch_box}
        for key, box in boxes.items():
            if isinstance(settings.get(key), int):
                box.setValue(settings[key])
        if isinstance(settings.get("learning_rate"), (int, float)):
            self.lr_box.setValue(float(settings["learning_rate"]))
        if isinstance(settings.get("validation_split"), (int, float)):
            self.val_box.setValue(float(settings["validation_split"]))
        if (i := self.optimizer_box.findData(settings.get("optimizer"))) >= 0:
            self.optimizer_box.setCurrentIndex(i)
        if isinstance(settings.get("augment"), bool) and self.augment_box.isEnabled():
            self.augment_box.setChecked(settings["augment"])
        seed = settings.get("seed", DEFAULT_SEED)
        self.seed_box.setValue(RANDOM_SEED if seed is None else int(seed) if isinstance(seed, int) else DEFAULT_SEED)
        data = settings.get("data_path")
        self.data_edit.setText(data if isinstance(data, str) else "")

    def remember(self) -> None:
        """Keep the current settings for the next session (QSettings, as JSON)."""
        from PySide6.QtCore import QSettings

        try:
            QSettings().setValue(KEY_LAST_SETTINGS, json.dumps(self.config().settings()))
        except ValueError:
            pass  # nothing valid to remember

    def restore(self) -> bool:
        """The settings of the last session, if any were kept and still make sense."""
        from PySide6.QtCore import QSettings

        text = QSettings().value(KEY_LAST_SETTINGS)
        if not isinstance(text, str) or not text:
            return False
        try:
            settings = json.loads(text)
            if not isinstance(settings, dict):
                return False
            self.apply_settings(settings)
        except (ValueError, TypeError):
            self.apply_preset(DEFAULT_PRESET)
            return False
        return True

    def _preset_chosen(self, index: int) -> None:
        self.apply_preset(self.preset_box.itemData(index))

    def config(self) -> TrainConfig:
        """The settings as a validated TrainConfig (``ValueError`` if inconsistent)."""
        seed = self.seed_box.value()
        data = self.data_edit.text().strip()
        return TrainConfig.for_preset(
            self.preset_box.currentData(),
            epochs=self.epochs_box.value(),
            batch_size=self.batch_box.value(),
            optimizer=self.optimizer_box.currentData(),
            learning_rate=self.lr_box.value(),
            validation_split=round(self.val_box.value(), 4),
            augment=self.augment_box.isChecked() and self.augment_box.isEnabled(),
            seed=None if seed == RANDOM_SEED else seed,
            data_path=data or None,
            pen_data=self._explicit_pen_data(),
            pen_data_remembered=self.remembered_pen_data(),
            my_digits=self._my_digits_path() if self.my_digits_box.isChecked() else None,
        )

    @staticmethod
    def _my_digits_path() -> str:
        from digitpad.ui.user_models import digits_db_path

        return str(digits_db_path())

    # Pen data ---------------------------------------------------------------------------
    def _explicit_pen_data(self) -> list[str] | None:
        text = self.pen_edit.text().strip()
        return [text] if text else None

    @staticmethod
    def remembered_pen_data() -> list[str]:
        from PySide6.QtCore import QSettings

        value = QSettings().value(KEY_PEN_DATA)
        return [value] if isinstance(value, str) and value else []

    def pen_data_files(self) -> list:
        """The stroke files training would use now (raises PenDataError for a bad path)."""
        return pendata.find_pen_data(self._explicit_pen_data(), self.remembered_pen_data())

    def _show_pen_data(self) -> None:
        try:
            text = pendata.describe(self.pen_data_files())
        except pendata.PenDataError as exc:
            text = str(exc)
        preset = get_preset(self.preset_box.currentData())
        if not preset.pen_copies and not preset.not_digit:
            text = f"{preset.label} trains on MNIST alone"
        self.pen_label.setText(text)

    def _ask_pen_folder(self) -> None:
        from PySide6.QtCore import QSettings

        start = self.pen_edit.text() or (self.remembered_pen_data() or [""])[0]
        path = QFileDialog.getExistingDirectory(self, "Folder of pen stroke files", start)
        if path:
            QSettings().setValue(KEY_PEN_DATA, path)
            self.pen_edit.setText(path)

    def _ask_data_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "MNIST data", self.data_edit.text(), "MNIST (*.npz);;All files (*)")
        if path:
            self.data_edit.setText(path)
