"""Layout of the Router page: the shop's MikroTik, its Test, and hotspot users from this desk."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.ui.common.widgets import SecretLineEdit, StatusLabel


class RouterPageView(QWidget):
    """Widgets only; `RouterPage` wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.address = QLineEdit()
        self.address.setPlaceholderText("192.168.88.1")
        self.username = QLineEdit()
        self.username.setPlaceholderText(_("an API user, e.g. pb-api"))
        self.password = SecretLineEdit()
        self.use_tls = QCheckBox(_("Secure API (api-ssl, port 8729)"))
        self.test_button = QPushButton(_("Test"))
        self.save_button = QPushButton(_("Save"))
        self.save_button.setObjectName("primaryButton")
        self.status = StatusLabel()

        self.binding = QLabel()
        self.binding.setWordWrap(True)
        self.bind_button = QPushButton(_("Make hotspot users at this router"))
        self.bind_button.setObjectName("primaryButton")
        self.unbind_button = QPushButton(_("Stop making hotspot users"))
        self.deliveries = StatusLabel()

        self.radius_state = StatusLabel()
        self.radius_on_button = QPushButton(_("Use RADIUS"))
        self.radius_on_button.setObjectName("primaryButton")
        self.radius_off_button = QPushButton(_("Stop using RADIUS"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(14)
        layout.addWidget(self._router_card())
        layout.addWidget(self._delivery_card())
        layout.addWidget(self._radius_card())
        layout.addStretch(1)

    def _router_card(self) -> QFrame:
        card, box = _card(
            _("Shop router (MikroTik)"),
            _(
                "The desk talks to the hotspot router on the shop network through its API "
                "(IP > Services > api). The password is kept encrypted on this PC and never "
                "leaves it."
            ),
        )
        form = QFormLayout()
        form.addRow(_("Router address"), self.address)
        form.addRow(_("API user"), self.username)
        form.addRow(_("Password"), self.password)
        form.addRow("", self.use_tls)
        box.addLayout(form)
        box.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_button)
        box.addLayout(buttons)
        return card

    def _delivery_card(self) -> QFrame:
        card, box = _card(
            _("Hotspot users from this desk"),
            _(
                "When this is on, every paid plan becomes a hotspot user on the router (its code "
                "is the user name and password), and is removed when the plan's time is over or "
                "the payment is disputed. Only a desk at the router the owner chose does this."
            ),
        )
        box.addWidget(self.binding)
        box.addWidget(self.deliveries)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.unbind_button)
        buttons.addWidget(self.bind_button)
        box.addLayout(buttons)
        return card

    def _radius_card(self) -> QFrame:
        card, box = _card(
            _("RADIUS (FreeRADIUS beside the relay)"),
            _(
                "With RADIUS the relay writes every paid plan's code into its FreeRADIUS server, "
                "and the router asks it at each login: no desk has to be at the router. The "
                "relay's operator sets it up (see the relay's deploy guide); the router needs its "
                "RADIUS server added and use-radius=yes on its hotspot profile."
            ),
        )
        box.addWidget(self.radius_state)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.radius_off_button)
        buttons.addWidget(self.radius_on_button)
        box.addLayout(buttons)
        return card


def _card(title: str, hint_text: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("card")
    heading = QLabel(title)
    heading.setObjectName("cardTitle")
    hint = QLabel(hint_text)
    hint.setObjectName("hint")
    hint.setWordWrap(True)
    box = QVBoxLayout(card)
    box.setContentsMargins(20, 16, 20, 18)
    box.setSpacing(10)
    box.addWidget(heading)
    box.addWidget(hint)
    return card, box
