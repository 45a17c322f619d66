"""The window around the pages: start-up, sign-in, the main window, the tray."""
