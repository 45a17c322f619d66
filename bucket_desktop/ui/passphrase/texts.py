"""What a lost passphrase costs and what it does not, in the owner's words (issue 13)."""

from __future__ import annotations

from pathlib import Path

from bucket_desktop.services.keystore import MIN_PASSPHRASE_LENGTH

LENGTH_HINT = f"At least {MIN_PASSPHRASE_LENGTH} characters"

CREATION_ADVICE = (
    f"Choose a passphrase of at least {MIN_PASSPHRASE_LENGTH} characters; a short sentence is "
    "easy to remember. Write it down and keep it somewhere safe: if it is lost, the Daraja "
    "credentials and the relay sign-in saved on this PC cannot be opened and must be typed "
    "again. Your money and the payments on the relay are not affected."
)


def forgot_text(data_dir: Path) -> str:
    """The whole explanation of the Forgot passphrase dialog, as simple rich text."""
    return (
        "<p><b>What is lost.</b> Without the passphrase the app cannot open two things kept on "
        "this PC:</p><ul>"
        "<li>the Daraja credentials saved here (consumer key and secret, paybill or till, "
        "passkey);</li>"
        "<li>the relay token this PC signs in with.</li></ul>"
        "<p><b>What is not lost.</b></p><ul>"
        "<li>Your money: it is in your M-PESA account, not on this PC.</li>"
        "<li>The payments: the relay keeps them, and they come back when you sign in.</li>"
        "<li>The credentials the relay already holds: other desks can go on charging "
        "customers meanwhile.</li></ul>"
        "<p><b>Starting over.</b></p><ol>"
        "<li>The app moves the locked files into a new folder named set-aside-<i>date</i> in "
        f"{_html(str(data_dir))}. Nothing is deleted: if the passphrase comes back to you, "
        "they can be moved back.</li>"
        "<li>You choose a new passphrase.</li>"
        "<li>You sign in to your relay again with your owner token. If you no longer have it, "
        "ask your relay operator for a new one.</li>"
        "<li>On Payment settings you type your Daraja credentials again (from your app on the "
        "Safaricom developer portal), press Save, then Push to relay.</li></ol>"
    )


def started_over_note(folder: Path) -> str:
    """The line above the new passphrase once the old files went aside."""
    return f"The old files are kept in {folder}. Now choose a new passphrase."


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
