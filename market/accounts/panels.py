"""Sections other domains add to the organisation page (/org/data): an agency's introduction
lives in `agencies`, which accounts does not import. Each is `panel(org, user) -> (template,
context)` or None."""

_PANELS = []


def org_data_panel(panel):
    """Register a section shown on the organisation page, in registration order."""
    if panel not in _PANELS:
        _PANELS.append(panel)
    return panel


def panels_for(org, user) -> list[tuple[str, dict]]:
    """The sections the organisation page shows to `user` for `org`."""
    return [shown for shown in (panel(org, user) for panel in _PANELS) if shown is not None]
