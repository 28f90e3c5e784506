"""Fast checks of the packaging files: the PyInstaller spec, the desktop entry, the icons,
the build script and the training self-test.  The bundle itself is built and run by CI
(packaging/build.sh, then both self-tests on the result), not here."""

from __future__ import annotations

import configparser
import contextlib
import io
import json
import plistlib
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from digitpad.data import read_mnist_npz

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "digitpad.spec"
DESKTOP = ROOT / "packaging" / "digitpad.desktop"
BUILD_SH = ROOT / "packaging" / "build.sh"
RESOURCES = ROOT / "resources"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


# --- the spec ---------------------------------------------------------------------------
class _Recorder:
    """Stands in for one of PyInstaller's spec classes and records how it was called."""

    calls: dict[str, SimpleNamespace] = {}

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        _Recorder.calls[type(self).__name__] = self


class Analysis(_Recorder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scripts = []
        self.pure = [
            ("keras.src.ops.core_test", "/x/core_test.py", "PYMODULE"),
            ("tensorflow.python.data.ops.test_mode", "/x/test_mode.py", "PYMODULE"),
            ("matplotlib.tests.test_axes", "/x/test_axes.py", "PYMODULE"),
            ("numpy.linalg", "/x/linalg.py", "PYMODULE"),
        ]
        self.binaries = [
            ("PySide6/Qt/plugins/platforms/libqxcb.so", "/x/libqxcb.so", "BINARY"),
            ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "/x/libqoffscreen.so", "BINARY"),
            ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", "/x/libqsqlite.so", "BINARY"),
            ("PySide6/Qt/plugins/imageformats/libqjpeg.so", "/x/libqjpeg.so", "BINARY"),
            ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/x/libqgtk3.so", "BINARY"),
            ("libxcb.so.1", "/x/libxcb.so.1", "BINARY"),
            ("libcairo.so.2", "/x/libcairo.so.2", "BINARY"),
            ("libpixman-1.so.0", "/x/libpixman-1.so.0", "BINARY"),
            ("libffi.so.8", "/x/libffi.so.8", "BINARY"),  # needed by nothing (ctypes): stays
            # The same packages as laid out on Windows (Qt in PySide6/ itself) and macOS.
            ("PySide6/plugins/platforms/qwindows.dll", "/x/qwindows.dll", "BINARY"),
            ("PySide6/plugins/sqldrivers/qsqlite.dll", "/x/qsqlite.dll", "BINARY"),
            ("ai_edge_litert/libLiteRt.dll", "/x/libLiteRt.dll", "BINARY"),
            ("ai_edge_litert/libLiteRtWebGpuAccelerator.dll", "/x/libLiteRtWebGpuAccelerator.dll", "BINARY"),
            ("ai_edge_litert/libLiteRtWebGpuAccelerator.dylib", "/x/libLiteRtWebGpuAccelerator.dylib", "BINARY"),
            ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", "/x/libqcocoa.dylib", "BINARY"),
        ]
        self.datas = [
            ("PySide6/Qt/translations/qtbase_de.qm", "/x/qtbase_de.qm", "DATA"),
            ("PySide6/translations/qtbase_fr.qm", "/x/qtbase_fr.qm", "DATA"),  # Windows layout
            ("tensorflow/include/tensorflow/core/framework/tensor.h", "/x/tensor.h", "DATA"),
            ("matplotlib/mpl-data/matplotlibrc", "/x/matplotlibrc", "DATA"),
        ] + [(dest + "/" + Path(src).name, src, "DATA") for src, dest in kwargs["datas"]]


class PYZ(_Recorder):
    pass


class EXE(_Recorder):
    pass


class COLLECT(_Recorder):
    pass


class BUNDLE(_Recorder):
    pass


# NEEDED entries of the fake binaries, for the spec's pruning of orphaned libraries.
FAKE_IMPORTS = {
    "/x/libqxcb.so": {"libxcb.so.1"},
    "/x/libqgtk3.so": {"libcairo.so.2", "libxcb.so.1"},
    "/x/libcairo.so.2": {"libpixman-1.so.0"},
}


@contextlib.contextmanager
def _fake_pyinstaller():
    # The spec asks PyInstaller for each binary's NEEDED libraries; answer from the
    # table above, so this runs without PyInstaller and without real files.
    bindepend = SimpleNamespace(get_imports=lambda src: {(n, None) for n in FAKE_IMPORTS.get(src, ())})
    saved = {k: sys.modules.get(k) for k in ("PyInstaller", "PyInstaller.depend", "PyInstaller.depend.bindepend")}
    sys.modules.update({"PyInstaller": SimpleNamespace(), "PyInstaller.depend": SimpleNamespace(bindepend=bindepend),
                        "PyInstaller.depend.bindepend": bindepend})
    try:
        yield
    finally:
        for key, module in saved.items():
            if module is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = module


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    with _fake_pyinstaller():
        yield _exec_spec(tmp_path_factory)


@pytest.fixture(scope="module", params=["linux", "win32", "darwin"])
def spec_on(request, tmp_path_factory):
    """The spec as PyInstaller runs it on Linux, Windows and macOS: ``sys.platform`` is
    what the spec reads to choose, so that is what the stand-in changes (the spec calls
    nothing platform-specific itself; PyInstaller's classes are the recorders above)."""
    saved = sys.platform
    with _fake_pyinstaller():
        sys.platform = request.param
        try:
            result = _exec_spec(tmp_path_factory)
        finally:
            sys.platform = saved
    result.platform = request.param
    return result


def _exec_spec(tmp_path_factory):
    _Recorder.calls = {}
    namespace = {
        "SPECPATH": str(ROOT), "workpath": str(tmp_path_factory.mktemp("work")),
        "Analysis": Analysis, "PYZ": PYZ, "EXE": EXE, "COLLECT": COLLECT, "BUNDLE": BUNDLE,
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    calls = {k.lower(): v for k, v in _Recorder.calls.items()}
    calls.setdefault("bundle", None)
    return SimpleNamespace(ns=namespace, **calls)


def test_spec_builds_one_windowed_folder_named_digitpad(spec):
    assert spec.exe.kwargs["name"] == "digitpad"
    assert spec.exe.kwargs["exclude_binaries"] is True  # one folder: binaries go to COLLECT
    assert spec.exe.kwargs["console"] is False
    assert spec.collect.kwargs["name"] == "digitpad"


def test_spec_entry_script_and_hidden_imports_exist(spec):
    (scripts,) = spec.analysis.args
    assert [Path(s).exists() for s in scripts] == [True]
    hidden = spec.analysis.kwargs["hiddenimports"]
    for name in ("digitpad.selftest_train", "digitpad.ui.app", "tensorflow", "ai_edge_litert.interpreter"):
        assert name in hidden


def test_spec_bundles_every_resource_as_the_package_digitpad_resources(spec):
    bundled = {Path(src).name for src, dest in spec.analysis.kwargs["datas"] if dest == "digitpad/resources"}
    shipped = {p.name for p in RESOURCES.iterdir() if p.is_file() and p.suffix != ".py"}
    assert shipped <= bundled
    assert {"icon.svg", "icon-256.png", "mnist_slice.npz"} <= bundled
    assert any(name == "digitpad.resources" for name, *_ in spec.analysis.pure)


def test_spec_drops_what_we_never_load_and_keeps_what_we_do(spec):
    binaries = {dest for dest, *_ in spec.analysis.binaries}
    datas = {dest for dest, *_ in spec.analysis.datas}
    pure = {name for name, *_ in spec.analysis.pure}
    assert "PySide6/Qt/plugins/platforms/libqxcb.so" in binaries
    assert "PySide6/Qt/plugins/platforms/libqoffscreen.so" in binaries
    assert "PySide6/Qt/plugins/imageformats/libqjpeg.so" in binaries
    assert "PySide6/Qt/plugins/sqldrivers/libqsqlite.so" not in binaries
    assert "PySide6/Qt/translations/qtbase_de.qm" not in datas
    assert "tensorflow/include/tensorflow/core/framework/tensor.h" not in datas
    assert "matplotlib/mpl-data/matplotlibrc" in datas
    assert "keras.src.ops.core_test" not in pure and "matplotlib.tests.test_axes" not in pure
    # A real module whose name merely starts with "test_" must survive.
    assert "tensorflow.python.data.ops.test_mode" in pure and "numpy.linalg" in pure


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pruning runs on Linux only")
def test_spec_drops_libraries_that_only_excluded_plugins_needed(spec):
    binaries = {dest for dest, *_ in spec.analysis.binaries}
    assert "PySide6/Qt/plugins/platformthemes/libqgtk3.so" not in binaries
    assert "libcairo.so.2" not in binaries and "libpixman-1.so.0" not in binaries
    assert "libxcb.so.1" in binaries  # the xcb platform plugin still needs it
    assert "libffi.so.8" in binaries


def test_spec_never_strips_auditwheel_libraries(spec):
    stripped = spec.ns["STRIP_FILES"]
    import fnmatch

    assert any(fnmatch.fnmatch("tensorflow/libtensorflow_cc.so.2", p) for p in stripped)
    for dest in ("numpy.libs/libscipy_openblas64_.so", "pillow.libs/libjpeg.so.62", "PySide6/Qt/lib/libQt6Core.so.6"):
        assert not any(fnmatch.fnmatch(dest, p) for p in stripped), dest


def test_spec_is_windowed_on_every_platform(spec_on):
    assert spec_on.exe.kwargs["console"] is False
    assert spec_on.exe.kwargs["name"] == spec_on.collect.kwargs["name"] == "digitpad"


def test_spec_gives_windows_an_ico_and_no_app_bundle(spec_on):
    icon = spec_on.exe.kwargs["icon"]
    if spec_on.platform == "win32":
        assert Path(icon) == ROOT / "packaging" / "icon.ico" and Path(icon).exists()
    elif spec_on.platform == "linux":
        assert icon is None  # the .desktop file names the icon
    if spec_on.platform != "darwin":
        assert spec_on.bundle is None


def test_spec_makes_a_macos_app_with_its_info_plist(spec_on):
    if spec_on.platform != "darwin":
        pytest.skip("the .app is macOS's")
    from digitpad import __version__

    bundle = spec_on.bundle
    assert bundle.args == (spec_on.collect,)  # the whole folder goes into the .app
    assert bundle.kwargs["name"] == "digitpad.app"
    assert Path(bundle.kwargs["icon"]) == ROOT / "packaging" / "icon.icns" == Path(spec_on.exe.kwargs["icon"])
    assert Path(bundle.kwargs["icon"]).exists()
    assert bundle.kwargs["version"] == __version__
    assert bundle.kwargs["bundle_identifier"].count(".") >= 2  # reverse DNS
    plist = bundle.kwargs["info_plist"]
    assert plist["CFBundleName"] == plist["CFBundleDisplayName"] == "digitpad"
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == __version__
    assert plist["NSHighResolutionCapable"] is True
    plistlib.loads(plistlib.dumps(plist))  # only types an Info.plist can hold


def test_spec_drops_unused_qt_and_litert_files_in_every_layout(spec_on):
    binaries = {dest for dest, *_ in spec_on.analysis.binaries}
    datas = {dest for dest, *_ in spec_on.analysis.datas}
    assert "PySide6/plugins/platforms/qwindows.dll" in binaries
    assert "PySide6/Qt/plugins/platforms/libqcocoa.dylib" in binaries
    assert "ai_edge_litert/libLiteRt.dll" in binaries
    assert "PySide6/plugins/sqldrivers/qsqlite.dll" not in binaries
    assert not any("WebGpuAccelerator" in dest for dest in binaries)
    assert "PySide6/translations/qtbase_fr.qm" not in datas


def test_spec_strips_and_prunes_on_linux_only(spec_on):
    sources = {src for _, src, _ in spec_on.analysis.binaries}
    stripped = any("stripped" in src for src in sources)
    pruned = "libcairo.so.2" not in {dest for dest, *_ in spec_on.analysis.binaries}
    if spec_on.platform == "linux":
        assert pruned  # only the dropped GTK theme plugin needed it
    else:
        # No strip(1) for PE or Mach-O here, and no pruning by ELF NEEDED entries.
        assert not stripped and not pruned


def test_spec_version_is_the_packages(spec):
    from digitpad import __version__

    assert spec.ns["VERSION"] == __version__


def test_spec_keeps_the_keras_tensorflow_backend(spec):
    excluded = spec.analysis.kwargs["excludes"]
    assert "keras.src.backend.tensorflow" not in excluded
    assert "keras.src.backend.jax" in excluded


# --- the desktop entry ------------------------------------------------------------------
def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    assert parser.sections() == ["Desktop Entry"]
    return parser["Desktop Entry"]


def test_desktop_entry_is_a_valid_application_entry():
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    for key in ("Name", "Comment", "Exec", "Icon"):
        assert entry.get(key, "").strip(), key
    assert entry["Terminal"] in ("false", "true")
    categories = entry["Categories"]
    assert categories.endswith(";")
    assert {"Graphics", "Education"} <= set(filter(None, categories.split(";")))


def test_desktop_entry_runs_the_bundle_and_names_the_icon(spec):
    entry = _desktop_entry()
    assert entry["Exec"].split()[0] == spec.exe.kwargs["name"]
    # field codes other than %f/%F/%u/%U would be passed to argparse literally
    assert all(not tok.startswith("%") for tok in entry["Exec"].split()[1:])
    assert entry["Icon"] == "digitpad"


# --- icons ------------------------------------------------------------------------------
def test_icon_svg_is_square_svg():
    root = ET.parse(RESOURCES / "icon.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, w, h = (float(v) for v in root.attrib["viewBox"].split())
    assert w == h


@pytest.mark.parametrize("size", ICON_SIZES)
def test_icon_png_has_its_size_and_a_visible_design(size):
    with Image.open(RESOURCES / f"icon-{size}.png") as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        rgba = np.asarray(image.convert("RGBA"))
    alpha = rgba[..., 3]
    assert alpha[0, 0] < 64  # rounded corners are transparent
    assert alpha[size // 2, size // 2] == 255
    # the white "7" stands out from the dark pad
    opaque = rgba[alpha == 255][:, :3].mean(axis=1)
    assert opaque.max() - opaque.min() > 120


def _render_icons():
    import importlib.util

    spec = importlib.util.spec_from_file_location("render_icons", ROOT / "packaging" / "render_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _same_pixels(a: Image.Image, b: Image.Image) -> bool:
    # Rendered by the same SVG; Qt versions may round a channel differently by one.
    diff = np.abs(np.asarray(a.convert("RGBA"), dtype=int) - np.asarray(b.convert("RGBA"), dtype=int))
    return a.size == b.size and int(diff.max()) <= 2


def test_windows_ico_holds_every_size_rendered_from_the_svg():
    with Image.open(ROOT / "packaging" / "icon.ico") as ico:
        assert ico.format == "ICO"
        assert ico.ico.sizes() == {(s, s) for s in ICON_SIZES}
        for size in ICON_SIZES:
            frame = ico.ico.getimage((size, size))
            with Image.open(RESOURCES / f"icon-{size}.png") as png:
                assert _same_pixels(frame, png), size


def test_macos_icns_holds_retina_sizes_rendered_from_the_svg():
    with Image.open(ROOT / "packaging" / "icon.icns") as icns:
        assert icns.format == "ICNS"
        assert (512, 512, 2) in icns.info["sizes"]  # 1024 px, the App Store / Retina size
        assert icns.icns.getimage((512, 512, 2)).size == (1024, 1024)
        with Image.open(RESOURCES / "icon-256.png") as png:
            assert _same_pixels(icns.icns.getimage((256, 256, 1)), png)
            assert _same_pixels(icns.icns.getimage((128, 128, 2)), png)  # 128 pt on Retina


def test_ico_and_icns_come_from_one_rendering_per_size():
    render_icons = _render_icons()
    pngs = {}
    for size in sorted(set(render_icons.SIZES) | set(render_icons.ICNS_SIZES)):
        out = io.BytesIO()
        Image.new("RGBA", (size, size), (size % 256, 0, 0, 255)).save(out, "PNG")
        pngs[size] = out.getvalue()
    with Image.open(io.BytesIO(render_icons.ico_bytes(pngs))) as ico:
        # each size is its own bitmap (its own colour here), not a scaled copy of another
        assert {ico.ico.getimage((s, s)).convert("RGBA").getpixel((0, 0))[0] for s in render_icons.SIZES} == \
            {s % 256 for s in render_icons.SIZES}
    assert render_icons.icns_bytes(pngs)[:4] == b"icns"
    del pngs[1024]
    with pytest.raises(ValueError, match="1024"):
        render_icons.icns_bytes(pngs)


# --- build script -----------------------------------------------------------------------
@pytest.mark.skipif(
    sys.platform == "win32", reason="Windows' `bash` may be WSL's; the release workflow runs build.sh in Git Bash"
)
def test_build_script_is_valid_bash_and_builds_the_spec():
    subprocess.run(["bash", "-n", str(BUILD_SH)], check=True)
    text = BUILD_SH.read_text(encoding="utf-8")
    assert "digitpad.spec" in text and "tar " in text
    assert "pip install" not in text.replace('pip install -e ".[package]"', "")


# --- training self-test -----------------------------------------------------------------
def test_mnist_slice_is_small_and_has_every_class():
    m = read_mnist_npz(RESOURCES / "mnist_slice.npz")
    x_train, y_train, x_test, y_test = m.x_train, m.y_train, m.x_test, m.y_test
    assert x_train.shape == (1000, 28, 28) and x_test.shape == (250, 28, 28)
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))
    assert (RESOURCES / "mnist_slice.npz").stat().st_size < 400_000


def test_importing_selftest_train_does_not_import_tensorflow():
    code = (
        "import sys, digitpad.selftest_train; "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_selftest_train_reports_bad_data_in_one_line(monkeypatch, tmp_path, capsys):
    import digitpad.paths
    from digitpad import selftest_train

    bad = tmp_path / "mnist_slice.npz"
    bad.write_bytes(b"not a zip")
    monkeypatch.setattr(digitpad.paths, "resource_path", lambda name: tmp_path / name)
    assert selftest_train.run() == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "training self-test failed" in lines[0] and str(bad) in lines[0]


@pytest.mark.slow
def test_selftest_train_trains_exports_and_reloads(tmp_path, capsys, monkeypatch):
    from digitpad import selftest_train

    # The self-test's whole path, one epoch instead of three (~0.75 accuracy, the floor is
    # 0.5): what training itself does is tested in test_training.py.
    monkeypatch.setattr(selftest_train, "EPOCHS", 1)
    assert selftest_train.run() == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["trained"] is True
    assert result["accuracy"] >= selftest_train.MIN_ACCURACY
    assert result["agreement"] >= selftest_train.MIN_AGREEMENT
    assert result["tflite_bytes"] > 10_000 and result["test_samples"] == 250
