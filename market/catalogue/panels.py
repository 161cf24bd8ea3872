"""Panels other domains add to an item's public page (the agencies offering it live in
`agencies`, which the catalogue does not import): each is `panel(item) -> (template,
context)` or None."""

_PANELS = []


def item_panel(panel):
    """Register a panel shown on every item page, in registration order."""
    if panel not in _PANELS:
        _PANELS.append(panel)
    return panel


def panels_for(item) -> list[tuple[str, dict]]:
    """The panels an item's page shows."""
    return [shown for shown in (panel(item) for panel in _PANELS) if shown is not None]
