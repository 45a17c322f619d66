"""The Qt side of the language: the live switch over the widgets, and Qt's own texts.

Kept apart from `bucket_desktop.i18n`, which the Qt-free services import.
"""
