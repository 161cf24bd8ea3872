"""Reading the statistics page as a visitor reads it: key figures, the tables' cells."""

import re
from html import unescape

PERIOD = "from=2026-11&to=2027-03"


def figure(page: str, key: str) -> str:
    """A key figure's value as shown (id="figure-KEY")."""
    match = re.search(rf'id="figure-{key}">\s*<div class="fs-4 fw-bold">([^<]+)</div>', page)
    assert match, key
    return unescape(match.group(1))


def figure_note(page: str, key: str) -> str:
    start = page.index(f'id="figure-{key}"')
    block = page[start : page.index("</div></div>", start)]
    return unescape(re.sub(r"<[^>]+>", " ", block))


def overview(page: str, label: str) -> str:
    """An overview figure (the home page's markup) by its label."""
    match = re.search(rf'fw-bold">([^<]+)</div><div class="text-muted small">{label}</div>', page)
    assert match, label
    return unescape(match.group(1))


def rows(page: str, name: str) -> list[list[str]]:
    """The cells of a table (id="table-NAME"), row by row, as shown."""
    start = page.index(f'id="table-{name}"')
    block = page[start : page.index("</figure>", start)]
    if "<tbody>" not in block:
        return []
    body = block[block.index("<tbody>") : block.index("</tbody>")]
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def row(page: str, name: str, first: str) -> list[str]:
    """The row of a table whose first cell is `first`."""
    found = [r for r in rows(page, name) if r[0] == first]
    assert found, (name, first)
    return found[0]
