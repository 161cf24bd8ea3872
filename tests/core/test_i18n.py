"""English beside Chinese: every text a person reads is translated, the switch is remembered,
and pages, mail and messages come in the reader's language."""

import ast
import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import nodes

from .. import factories

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "market/translations/en/LC_MESSAGES/messages.po"
COMPILED = ROOT / "market/translations/en/LC_MESSAGES/messages.mo"
HAN = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3001-\u3011]")
GETTEXT = {"_", "_l", "_n", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext"}
#: a line whose Chinese is data, not a message (a language's own name, a column of an
#: imported sheet, a synonym), says so
DATA_MARK = "# i18n: data"
#: modules whose Chinese is data or the operator's command line, not the pages
NOT_TRANSLATED = (
    "market/demo/",  # the demo's organisations, projects and stories
    "market/cli.py",  # the operator's commands
    "market/core/backup/",  # backup and restore, from the command line
    "market/opendata/packverify.py",  # the audit pack's stand-alone verify.py, in Chinese
)


def _catalogue():
    with CATALOGUE.open("rb") as fh:
        return read_po(fh, locale="en")


def _extracted():
    method_map = [
        ("market/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    keywords = {
        "_": None,
        "_l": None,
        "_n": (1, 2),
        "gettext": None,
        "ngettext": (1, 2),
        "lazy_gettext": None,
        "pgettext": ((1, "c"), 2),
    }
    options = {"templates/**.html": {"trimmed": "true"}, "templates/**.txt": {"trimmed": "true"}}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map=options, keywords=keywords
    ):
        yield filename, message, context


def test_every_message_has_its_english():
    catalogue = _catalogue()
    missing = []
    for filename, message, context in _extracted():
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalogue.get(msgid, context=context)
        translated = (
            entry is not None
            and not entry.fuzzy
            and (all(entry.string) if isinstance(entry.string, tuple) else bool(entry.string))
        )
        if not translated:
            missing.append(f"{filename}: {msgid!r}")
    assert not missing, f"{len(missing)} messages without English:\n" + "\n".join(missing[:50])


def test_the_english_has_no_chinese_left_and_keeps_the_placeholders():
    wrong = []
    for entry in _catalogue():
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set(re.findall(r"%\(\w+\)s", ids[0]))
        for string in strings:
            if HAN.search(string):
                wrong.append(f"{ids[0]!r}: Chinese in {string!r}")
            if string and set(re.findall(r"%\(\w+\)s", string)) != wanted:
                wrong.append(f"{ids[0]!r}: placeholders differ in {string!r}")
    assert not wrong, "\n".join(wrong[:50])


def test_the_compiled_catalogue_is_the_current_one():
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue())
    assert COMPILED.read_bytes() == compiled.getvalue(), "run `make translations`"


def _untranslated_in_template(node, inside=False, found=None):
    found = [] if found is None else found
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
        inside = inside or node.node.name in GETTEXT
    if isinstance(node, nodes.TemplateData) and HAN.search(node.data):
        found.append(node.data.strip()[:40])
    elif (
        isinstance(node, nodes.Const)
        and isinstance(node.value, str)
        and HAN.search(node.value)
        and not inside
    ):
        found.append(node.value[:40])
    for child in node.iter_child_nodes():
        _untranslated_in_template(child, inside, found)
    return found


def test_templates_write_every_chinese_text_through_gettext(app):
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        tree = app.jinja_env.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ROOT)}: {text!r}" for text in _untranslated_in_template(tree)]
    assert not found, f"{len(found)} texts outside gettext:\n" + "\n".join(found[:60])


def _python_texts_outside_gettext(path: Path):
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    translated = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            logger = isinstance(node.func, ast.Attribute) and "log" in ast.unparse(node.func.value)
            if name in GETTEXT or logger:
                translated.update(id(n) for arg in node.args for n in ast.walk(arg))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in docstrings or id(node) in translated or not HAN.search(node.value):
            continue
        span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
        if any(DATA_MARK in line for line in span):
            continue
        yield node.lineno, node.value[:40]


def test_python_writes_every_chinese_message_through_gettext():
    found = []
    for path in sorted((ROOT / "market").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(NOT_TRANSLATED):
            continue
        found += [f"{relative}:{n}: {text!r}" for n, text in _python_texts_outside_gettext(path)]
    assert not found, f"{len(found)} texts outside gettext:\n" + "\n".join(found[:60])


# --- the switch, remembered ------------------------------------------------------------------


def test_a_visitor_switches_to_english_and_back(client):
    page = client.get("/login")
    assert '<html lang="zh-CN">' in page.text
    assert "登录" in page.text

    switched = client.get("/language/en", headers={"Referer": "http://localhost/login"})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/login"
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "Sign in" in page.text
    assert "登录" not in page.text

    client.get("/language/zh")
    assert '<html lang="zh-CN">' in client.get("/login").text


def test_an_unknown_language_is_not_found_and_changes_nothing(client):
    assert client.get("/language/fr").status_code == 404
    assert '<html lang="zh-CN">' in client.get("/login").text


def test_the_switch_never_sends_a_visitor_to_another_site(client):
    answer = client.get("/language/en", headers={"Referer": "https://evil.example/phish"})
    assert answer.headers["Location"] == "/"
    answer = client.get("/language/en?next=//evil.example/")
    assert answer.headers["Location"] == "/"


def test_a_users_choice_follows_them_to_another_browser(app, client, auth):
    user = factories.agency()
    auth.login(user)
    client.get("/language/en")
    assert user.locale == "en"

    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert '<html lang="en">' in other.get("/account").text


def test_kept_public_pages_are_kept_per_language(app, client):
    app.config["PUBLIC_PAGE_SECONDS"] = 60
    chinese = client.get("/")
    client.get("/language/en")
    english = client.get("/")
    assert '<html lang="zh-CN">' in chinese.text
    assert '<html lang="en">' in english.text
    assert "Home" in english.text or "Notices" in english.text


def test_the_api_answers_in_chinese_whatever_the_reader_chose(client):
    client.get("/language/en")
    assert '<html lang="en">' in client.get("/login").text
    answer = client.get("/api/v1/notices?limit=abc")
    assert answer.status_code == 422
    assert answer.json["errors"]["query"]["limit"] == ["应为整数"]


def test_a_visitors_language_carries_into_their_login_and_out_of_it(client):
    user = factories.agency()
    client.get("/language/en")
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert user.locale == "en"
    assert '<html lang="en">' in client.get("/account").text
    client.post("/logout")
    assert '<html lang="en">' in client.get("/login").text
