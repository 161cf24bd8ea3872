"""Every role's main pages, in Chinese and in English, pass axe-core (the npm package, installed
into tests/a11y by scripts/system-packages.sh and served to each page by this test) with no
serious or critical violation of WCAG 2.1 A and AA: labels on controls, names on buttons and
links, contrast, landmarks, the page's language.

All pages are visited and every violation collected, so one run lists everything to fix.
"""

from pathlib import Path

import pytest

from ..conftest import install_command
from .test_layout import _login, _pages, layout_data  # noqa: F401 (the pages' data)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture
def axe_source():
    if not AXE.exists():
        pytest.skip(
            f"{AXE} not found; install it with: scripts/system-packages.sh "
            f"(or {install_command('npm')}, then (cd tests/a11y && npm ci))"
        )
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_main_pages_have_no_serious_accessibility_violation(
    page,
    live_server,
    layout_data,  # noqa: F811 (the fixture imported above)
    axe_source,
    language,
):
    browser = page.context.browser
    found = []
    for role, pages in _pages(layout_data).items():
        # The site's Content-Security-Policy forbids inline scripts: the test's own script is
        # let in by the browser context, not by the site.
        context = browser.new_context(
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1366, "height": 900},
            bypass_csp=True,
        )
        context.set_default_timeout(15_000)
        tab = context.new_page()
        try:
            if role != "visitor":
                _login(tab, live_server, layout_data["emails"][role])
            tab.goto(f"{live_server}/language/{language}")
            for name, path in pages:
                response = tab.goto(live_server + path)
                if response is None or not response.ok:
                    found.append(
                        f"{role} {name} ({path}): HTTP {response.status if response else '—'}"
                    )
                    continue
                tab.add_script_tag(content=axe_source)
                for v in tab.evaluate(RUN, RULES):
                    found.append(
                        f"{language} {role} {name} ({path}): {v['impact']} {v['id']} — "
                        f"{v['help']} at {', '.join(v['targets'])}"
                    )
        finally:
            context.close()
    assert found == [], f"{len(found)} violations:\n" + "\n".join(found)
