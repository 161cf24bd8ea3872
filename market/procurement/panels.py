"""The notice page's panels: each area (bids, selection, contract, and other domains such as
payments) registers a provider of its part of the page's template context."""

#: functions (notice, user, forms, access) -> dict adding to the notice page's template context
PANELS = []


def detail_panel(provider):
    """Register a provider of notice-page context (forms, lists) for one area."""
    if provider not in PANELS:
        PANELS.append(provider)
    return provider
