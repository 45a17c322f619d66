"""What a lost passphrase costs and what it does not, in the owner's words (issue 13)."""

from __future__ import annotations

from pathlib import Path

from bucket_desktop.i18n import _
from bucket_desktop.services.passphrase_keys import MIN_PASSPHRASE_LENGTH


def length_hint() -> str:
    """The placeholder of a new passphrase's field."""
    return _("At least {count} characters").format(count=MIN_PASSPHRASE_LENGTH)


def creation_advice() -> str:
    """Said before a passphrase is typed: its minimum length and what losing it costs."""
    return _(
        "Choose a passphrase of at least {count} characters; a short sentence is "
        "easy to remember. Write it down and keep it somewhere safe: if it is lost, the Daraja "
        "credentials and the relay sign-in saved on this PC cannot be opened and must be typed "
        "again. Your money and the payments on the relay are not affected."
    ).format(count=MIN_PASSPHRASE_LENGTH)


def forgot_sections(data_dir: Path) -> list[tuple[str, list[str]]]:
    """The Forgot passphrase explanation: (heading, lines) per section, in order."""
    return [
        (
            _("What is lost"),
            [
                _("Without the passphrase the app cannot open two things kept on this PC:"),
                _(
                    "•  the Daraja credentials saved here (consumer key and secret, paybill or "
                    "till, passkey);"
                ),
                _("•  the relay token this PC signs in with."),
            ],
        ),
        (
            _("What is not lost"),
            [
                _("•  Your money: it is in your M-PESA account, not on this PC."),
                _("•  The payments: the relay keeps them, and they come back when you sign in."),
                _(
                    "•  The credentials the relay already holds: other desks can go on charging "
                    "customers meanwhile."
                ),
            ],
        ),
        (
            _("Starting over"),
            [
                _(
                    "1.  The app moves the locked files into a new folder named "
                    "set-aside-(date) in {data_dir}. Nothing is deleted: if the passphrase "
                    "comes back to you, they can be moved back."
                ).format(data_dir=data_dir),
                _("2.  You choose a new passphrase."),
                _(
                    "3.  You sign in to your relay again with your owner token. If you no longer "
                    "have it, ask your relay operator for a new one."
                ),
                _(
                    "4.  On Payment settings you type your Daraja credentials again (from your app "
                    "on the Safaricom developer portal), press Save, then Push to relay."
                ),
            ],
        ),
    ]


def started_over_note(folder: Path) -> str:
    """The line above the new passphrase once the old files went aside."""
    return _("The old files are kept in {folder}. Now choose a new passphrase.").format(
        folder=folder
    )
