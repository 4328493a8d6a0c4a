"""Sign-in: server address (prefilled, read-only under policy), first-contact certificate check,
remembered sign-in, and a sentence for every way it can fail."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.ui import tasks
from client.ui.context import AppContext
from client.ui.error_text import error_details, show_error_on
from client.ui.resources import app_icon
from client.ui.services import error_sentence


def accessible(widget: QWidget, name: str, tip: str | None = None) -> QWidget:
    """Give a control its accessible name and a tooltip (the accessibility rule for every control)."""
    widget.setAccessibleName(name)
    widget.setToolTip(tip or name)
    return widget


class CertificateDialog(QDialog):
    """Shows a server's certificate fingerprint on first contact and asks whether to trust it."""

    def __init__(self, server: str, fingerprint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("certificateDialog")
        self.setWindowTitle(self.tr("Confirm the server's identity — Parley"))
        self.fingerprint = fingerprint
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "This is the first time you connect to {0}. Its certificate is not signed by an authority "
                "this computer trusts. Compare the fingerprint below with the one your administrator gave "
                "you; trust it only if they are the same."
            ).format(server)
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        label = QLabel(self.tr("SHA-256 fingerprint"))
        label.setObjectName("sectionTitle")
        layout.addWidget(label)
        shown = QLabel(fingerprint)
        shown.setObjectName("fingerprint")
        shown.setWordWrap(True)
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        accessible(shown, self.tr("Certificate fingerprint {0}").format(fingerprint))
        layout.addWidget(shown)
        buttons = QDialogButtonBox()
        self.trust_button = buttons.addButton(self.tr("Trust and connect"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(self.tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        accessible(self.trust_button, self.tr("Trust this certificate and connect"))
        accessible(self.cancel_button, self.tr("Do not connect"))
        self.cancel_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 260)


class SignInView(QWidget):
    """The first screen. Emits nothing itself: the main window follows `SessionService.signed_in`."""

    busy_changed = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("signInView")
        self.certificate_dialog: CertificateDialog | None = None

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        card = QFrame()
        card.setObjectName("card")
        card.setMinimumWidth(420)
        card.setMaximumWidth(560)
        row.addWidget(card, 2)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        layout = QVBoxLayout(card)
        layout.setContentsMargins(28, 24, 28, 24)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(56, 56))
        logo.setAccessibleName(self.tr("Parley logo"))
        layout.addWidget(logo, alignment=Qt.AlignmentFlag.AlignHCenter)
        title = QLabel(self.tr("Sign in to Parley"))
        title.setObjectName("title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.server_edit = QLineEdit()
        self.server_edit.setPlaceholderText(self.tr("meet.example.com:8443"))
        accessible(self.server_edit, self.tr("Server address"), self.tr("The address of your company's Parley server"))
        server = ctx.settings.server_url or str(ctx.value("last_server", ""))
        self.server_edit.setText(server)
        if ctx.settings.is_locked("server_url"):
            self.server_edit.setReadOnly(True)
            self.server_edit.setToolTip(self.tr("Set by your administrator."))
        self.username_edit = QLineEdit(str(ctx.value("last_username", "")))
        accessible(self.username_edit, self.tr("User name"))
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        accessible(self.password_edit, self.tr("Password"))
        self.remember_box = QCheckBox(self.tr("Keep me signed in on this computer"))
        self.remember_box.setChecked(True)
        accessible(
            self.remember_box,
            self.tr("Keep me signed in"),
            self.tr("Remember the sign-in in this computer's keyring; your password is never stored."),
        )
        form.addRow(self.tr("&Server"), self.server_edit)
        form.addRow(self.tr("&User name"), self.username_edit)
        form.addRow(self.tr("&Password"), self.password_edit)
        layout.addLayout(form)
        layout.addWidget(self.remember_box)

        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Sign-in problem"))
        self.error_label.hide()
        layout.addWidget(self.error_label)
        self.status_label = QLabel()
        self.status_label.setObjectName("hint")
        layout.addWidget(self.status_label)

        self.sign_in_button = QPushButton(self.tr("Sign in"))
        self.sign_in_button.setObjectName("primary")
        self.sign_in_button.setDefault(True)
        accessible(self.sign_in_button, self.tr("Sign in"), self.tr("Sign in (Enter)"))
        self.sign_in_button.clicked.connect(self.submit)
        for edit in (self.server_edit, self.username_edit, self.password_edit):
            edit.returnPressed.connect(self.submit)
        layout.addWidget(self.sign_in_button)

    def showEvent(self, event: object) -> None:  # type: ignore[override]
        super().showEvent(event)  # type: ignore[arg-type]
        first_empty = next(
            (
                e
                for e in (self.server_edit, self.username_edit, self.password_edit)
                if not e.text() and not e.isReadOnly()
            ),
            self.password_edit,
        )
        first_empty.setFocus()

    # --- actions -------------------------------------------------------------------------

    def show_error(self, sentence: str, details: str = "") -> None:
        self.status_label.clear()
        show_error_on(self.error_label, sentence, details)
        self.error_label.setVisible(bool(sentence))

    def set_busy(self, busy: bool, status: str = "") -> None:
        for widget in (self.username_edit, self.password_edit, self.sign_in_button, self.remember_box):
            widget.setEnabled(not busy)
        self.server_edit.setEnabled(not busy)
        self.status_label.setText(status)
        self.busy_changed.emit(busy)

    def submit(self) -> None:
        server = self.server_edit.text().strip()
        username = self.username_edit.text().strip()
        password = self.password_edit.text()
        if not server:
            self.show_error(self.tr("Enter the address of your Parley server."))
            return
        if not username or not password:
            self.show_error(self.tr("Enter your user name and password."))
            return
        self._sign_in(server, username, password, self.ctx.trusted_fingerprint(server))

    def _sign_in(self, server: str, username: str, password: str, fingerprint: str | None) -> None:
        self.show_error("")
        self.set_busy(True, self.tr("Signing in to {0}…").format(server))
        remember = self.remember_box.isChecked()

        def done(_user: object) -> None:
            self.set_busy(False)
            self.password_edit.clear()
            self.ctx.remember_server(server, username)

        def failed(exc: BaseException) -> None:
            from client.engine.signalling import UntrustedCertificate

            self.set_busy(False)
            if isinstance(exc, UntrustedCertificate) and not exc.expected:
                self._confirm_certificate(server, username, password, exc.fingerprint)
                return
            self.show_error(error_sentence(exc), error_details(exc))
            self.password_edit.selectAll()  # ready for another try (set_busy had disabled it)
            self.password_edit.setFocus()

        tasks.start(
            self.ctx.session.sign_in(server, username, password, remember=remember, fingerprint=fingerprint),
            on_done=done,
            on_error=failed,
        )

    def _confirm_certificate(self, server: str, username: str, password: str, fingerprint: str) -> None:
        dialog = CertificateDialog(server, fingerprint, self)
        self.certificate_dialog = dialog

        def finished(result: int) -> None:
            self.certificate_dialog = None
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted:
                self.ctx.trust(server, fingerprint)
                self._sign_in(server, username, password, fingerprint)
            else:
                self.show_error(self.tr("Not connected: the server's certificate was not trusted."))

        dialog.finished.connect(finished)
        dialog.open()

    def try_resume(self) -> None:
        """Sign in with the remembered token of the last user, if any (at start-up)."""
        server = self.server_edit.text().strip()
        username = self.username_edit.text().strip()
        fingerprint = self.ctx.trusted_fingerprint(server) if server else None
        if not server or not username:
            return
        self.set_busy(True, self.tr("Signing in to {0}…").format(server))

        def done(user: object) -> None:
            self.set_busy(False)
            if user is None:
                self.status_label.setText("")

        def failed(exc: BaseException) -> None:
            self.set_busy(False)
            from client.engine.signalling import UntrustedCertificate

            if isinstance(exc, UntrustedCertificate):
                return  # asked when the person signs in with a password
            self.show_error(error_sentence(exc), error_details(exc))

        tasks.start(self.ctx.session.resume(server, username, fingerprint=fingerprint), on_done=done, on_error=failed)
