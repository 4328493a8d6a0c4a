"""Loading the translation for the language setting (English is built in)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from client.ui.resources import translations_dir

LANGUAGES = {"": "System default", "en": "English", "zh_CN": "简体中文 (Simplified Chinese)"}

_installed: list[QTranslator] = []
_current = ["en"]


def current_language() -> str:
    """The language the app shows now ("en" or a code of LANGUAGES)."""
    return _current[0]


def pick_language(setting: str) -> str:
    """The language code to use: the setting, else the system's when we ship it, else English."""
    if setting:
        return setting
    system = QLocale.system().name()  # e.g. zh_CN
    if system in LANGUAGES:
        return system
    if system.split("_")[0] == "zh":
        return "zh_CN"
    return "en"


def install_translator(app: QCoreApplication, setting: str) -> str:
    """Install the translator for ``setting``; returns the language actually used."""
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    language = pick_language(setting)
    if language != "en":
        translator = QTranslator(app)
        if translator.load(f"parley_{language}", str(translations_dir())):
            app.installTranslator(translator)
            _installed.append(translator)
        else:
            language = "en"
    # Dates and day names follow the app's language, not the system's.
    QLocale.setDefault(QLocale(language) if language != "en" else QLocale(QLocale.Language.English))
    _current[0] = language
    return language
