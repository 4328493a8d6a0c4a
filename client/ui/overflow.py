"""The control bar's "More" menu: buttons that do not fit at their full width move into it, so no
label is ever cut ("Sto…deo") in a narrow window, with a side panel open, or in a longer language.

`BarOverflow(bar, more, keep)` watches the bar: every button keeps at least the width its label
needs, and buttons not in ``keep`` are hidden (and offered in the menu) until the rest fits: those
of the lowest `set_rank` first (what people use least in a call: Settings before Participants),
then the rightmost. A button that its own screen hides stays hidden and is not offered. A moved
button's accessible description (an unread count, client/ui/notices.py) is said in the menu.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QMenu, QToolButton, QWidget

from client.ui.resources import icon

RANK = "overflowRank"
DEFAULT_RANK = 50


def set_rank(widget: QWidget, rank: int) -> None:
    """How long ``widget`` stays in the bar when space runs out: lower ranks move to "More" first."""
    widget.setProperty(RANK, rank)


def rank(widget: QWidget) -> int:
    value = widget.property(RANK)
    return value if isinstance(value, int) else DEFAULT_RANK


def more_button() -> QToolButton:
    button = QToolButton()
    button.setObjectName("callControl")
    button.setIcon(icon("plus"))
    button.setIconSize(QSize(24, 24))
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button


class BarOverflow(QObject):
    def __init__(self, bar: QWidget, layout: QHBoxLayout, more: QToolButton, keep: list[QWidget]) -> None:
        super().__init__(bar)
        self.bar, self.layout, self.more, self.keep = bar, layout, more, keep
        self.moved: list[QWidget] = []  # hidden here (not by their screen), left to right
        self.menu = QMenu(bar)
        self.menu.aboutToShow.connect(self._fill_menu)
        more.setMenu(self.menu)
        more.hide()
        self._arranging = False
        self._last: object = None  # what the last arrangement was made for
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.arrange)
        self.retranslate()
        bar.installEventFilter(self)

    def retranslate(self) -> None:
        self.more.setText(self.tr("More"))
        self.more.setAccessibleName(self.tr("More controls"))
        self.more.setToolTip(self.tr("More controls"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest, QEvent.Type.Show):
            if not self._arranging:
                self._timer.start()
        elif event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        return False

    def _widgets(self) -> list[QWidget]:
        out = []
        for index in range(self.layout.count()):
            widget = self.layout.itemAt(index).widget()
            if widget is not None and widget is not self.more:
                out.append(widget)
        return out

    def _width(self, shown: list[QWidget]) -> int:
        spacing = max(0, self.layout.spacing())
        width = 0
        for index in range(self.layout.count()):
            item = self.layout.itemAt(index)
            widget = item.widget()
            if widget is None:
                spacer = item.spacerItem()
                if spacer is not None:
                    width += spacer.sizeHint().width()
                continue
            if widget in shown:
                width += widget.sizeHint().width() + spacing
        margins = self.layout.contentsMargins()
        return width + margins.left() + margins.right()

    def _signature(self) -> object:
        return self.bar.width(), [
            (id(w), w.sizeHint().width(), w in self.moved or not w.isHidden()) for w in self._widgets()
        ]

    def arrange(self) -> None:
        """Show every button that fits at full width; the rest go into "More"."""
        signature = self._signature()
        if signature == self._last:
            return  # nothing changed (our own hiding and showing asks for a layout again)
        self._arranging = True
        try:
            for widget in self.moved:
                widget.show()
            self.moved = []
            wanted = [w for w in self._widgets() if not w.isHidden()]  # shown by their screen
            for widget in wanted:
                widget.setMinimumWidth(widget.sizeHint().width())  # never squeezed into "…"
            shown = list(wanted)
            droppable = sorted((w for w in reversed(wanted) if w not in self.keep), key=rank)  # stable
            more_width = self.more.sizeHint().width() + max(0, self.layout.spacing())
            available = self.bar.width()
            while droppable and self._width(shown) + (more_width if self.moved else 0) > available:
                widget = droppable.pop(0)
                shown.remove(widget)
                self.moved.insert(0, widget)
            for widget in self.moved:
                widget.hide()
            self.more.setMinimumWidth(self.more.sizeHint().width())
            self.more.setVisible(bool(self.moved))
            self._last = self._signature()
        finally:
            self._arranging = False

    def _fill_menu(self) -> None:
        self.menu.clear()
        for widget in self.moved:
            if not isinstance(widget, QAbstractButton):
                continue
            text = widget.text().replace("&", "") or widget.accessibleName()
            if widget.accessibleDescription():  # e.g. "2 unread messages"
                text = f"{text} ({widget.accessibleDescription()})"
            action = QAction(widget.icon(), text, self.menu)
            action.setCheckable(widget.isCheckable())
            action.setChecked(widget.isChecked())
            action.setEnabled(widget.isEnabled())
            action.setToolTip(widget.toolTip())
            action.triggered.connect(lambda _=False, w=widget: w.click())
            self.menu.addAction(action)
