"""Widgets, dialogs and helpers the pages share."""
