"""Fuzzing every form and page query via the test client: no 5xx, a refusal writes nothing."""

import contextlib
import inspect
import io
from dataclasses import dataclass
from functools import cache

import pytest
from flask import current_app, url_for
from flask_wtf.file import FileField, MultipleFileField
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.exc import ResourceClosedError
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
)
from wtforms.fields.core import UnboundField

from market.accounts.credential_forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    NewPasswordForm,
    OrgDataForm,
)
from market.accounts.forms import LoginForm, RegistrationForm
from market.accounts.member_forms import AcceptInvitationForm, InviteForm, RoleForm
from market.accounts.members import invite_member
from market.agencies.forms import DescriptionForm, OfferingForm, RateField
from market.agencies.library_forms import (
    PractitionerForm,
    QualificationForm,
    RejectForm,
    UploadForm,
    VerifyForm,
)
from market.agencies.services import agency_of
from market.alerts.forms import FollowItemForm, SearchForm
from market.catalogue.forms import (
    ApplyImportForm,
    BatchForm,
    ContractModelForm,
    ImportForm,
    ItemForm,
    NewItemForm,
    OnlineForm,
    WithdrawForm,
)
from market.core.forms import YuanField, has_hidden_characters
from market.credit.criteria_views import CriterionForm, FactForm, RetireForm, RevisionForm
from market.credit.disclosure.views import RedListForm, RemoveForm
from market.credit.inspections.services import create_plan
from market.credit.inspections.views import PlanForm, ResultForm
from market.credit.records.forms import (
    AppealDecisionForm,
    BulkConfirmForm,
    DecideForm,
    RepairDecisionForm,
    RepairForm,
    ReportForm,
    StatementForm,
)
from market.credit.risk.models import RiskAlert
from market.credit.risk.views import DismissAlertForm, ReportAlertForm
from market.extensions import db as _db
from market.opendata import bulk
from market.payments import services as payments
from market.payments.forms import DecideForm as PaymentDecideForm
from market.payments.forms import DisputeForm, RefundForm, TransferForm
from market.procurement.bid_forms import BidForm
from market.procurement.contract_forms import (
    AgencyRatingForm,
    AnswerForm,
    DecisionForm,
    DeliverForm,
    EvaluationReplyForm,
    FollowupForm,
    ObjectionForm,
    PurchaserRatingForm,
    RectificationAnswerForm,
    ReturnForm,
    SignForm,
    TerminateForm,
)
from market.procurement.forms import NoticeForm, ReasonForm
from market.procurement.question_forms import QuestionAnswerForm, QuestionForm
from market.procurement.selection.direct import ChoiceForm

from . import factories as make
from . import fuzz_scenes as scenes
from .conftest import commit_in_test

# A failing example is printed with its drawn values, some of them 18 KB of text on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

# --- what is typed ------------------------------------------------------------------------------

#: text no one should type, and text that parses as something else
ODD_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e",
    "报告\u202egpj.exe",
    "\x07",
    "\t\r\n",
    "\ufeff\u200b",
    "𝕏😀",
    "1e309",
    "-1",
    "99999999999999999999999",
    "NaN",
    "Infinity",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    str(2**63),
    "１２３",
    "²",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%_",
    "{{ 7*7 }}",
    "中" * 201,
    "x" * 5001,
    "中介" * 3000,
]
ODD_NUMBERS = [
    "1e309",
    "-1",
    "0",
    "-0",
    "99999999999999999999999",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1.005",
    "0.001",
    "１２３",
    "²",
    "٣",
    "0x10",
    "1_000",
    " 7 ",
    "1e-7",
    "12,000.50",
    "１２，０００",
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    str(-(2**63) - 1),
    "10000000000",
    "10000000000.01",
    "9" * 5000,
]
ODD_DATES = [
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "",
    "2026-13-01",
    "2026-00-10",
    "2026-1-1",
    "2026/12/01",
    "２０２６-１２-０１",
    "1999-12-31",
    "2000-01-01",
    "2099-12-31",
    "2100-01-01",
]
ODD_TIMES = ["T00:00", "T10:00", "T23:59", "T25:00", " 10:00", "T10:00:00", ""]
ODD_IDS = ["0", "-1", str(2**63), str(2**63 - 1), "99999999999999999999", "1.5", "1e3", "abc"]
ODD_IDS += ["", "²", "١", "None", " 1"]
ODD_FILENAMES = ["scan.pdf", "SCAN.PDF", "a.png", "../../etc/passwd", "..\\win.ini", ""]
ODD_FILENAMES += ["中文 资料.pdf", "a\x00.pdf", "\u202efdp.exe", "a" * 300 + ".pdf", ".pdf"]

CJK_AND_CONTROLS = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.sampled_from(
    "\x00\x07\x1b\x7f\x85\u200f\u202a\u202e\u2066\ufeff"
)
TEXT = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.text(max_size=30),
    st.text(CJK_AND_CONTROLS, max_size=30),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "中", "\x00", " "]), st.integers(0, 6000)),
)
NUMBER = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(str),
    st.decimals(-(10**13), 10**13, places=3).map(str),
)
DATE = st.sampled_from(ODD_DATES) | st.dates().map(str)
DATETIME = st.builds(lambda d, t: d + t, DATE, st.sampled_from(ODD_TIMES))
FLAG = st.sampled_from(["y", "", "n", "0", "1", "false", "on"]) | TEXT
FILE = st.tuples(
    st.sampled_from(
        [make.PDF_BYTES, make.PNG_BYTES, b"", b"MZ\x90\x00", make.PDF_BYTES + b"\x00" * 5000]
    )
    | st.binary(max_size=300),
    st.sampled_from(ODD_FILENAMES) | st.text(max_size=20),
)


def id_strategy(ids):
    """Ids of rows that exist, ids none can have, and text that is no id."""
    return st.sampled_from([str(i) for i in ids] + ODD_IDS) | NUMBER | TEXT


def field_strategy(kind, ids):
    """What may be sent for a field of this kind."""
    if isinstance(kind, tuple):  # a choice: its own values or anything
        return st.sampled_from(kind[1]) | TEXT
    return {
        "text": TEXT,
        "int": NUMBER | TEXT,
        "money": NUMBER | TEXT,
        "date": DATE | TEXT,
        "datetime": DATETIME | TEXT,
        "flag": FLAG,
        "id": id_strategy(ids),
        "ids": st.lists(id_strategy(ids), max_size=3),
        "file": FILE,
        "files": st.lists(FILE, max_size=2),
    }[kind]


# --- which fields a form has --------------------------------------------------------------------


def _choices(unbound):
    """A select's or radio's own values as a choice kind, or plain text if it has none."""
    choices = unbound.kwargs.get("choices")
    if callable(choices):
        choices = choices()
    values = [str(c.value if isinstance(c, SelectChoice) else c[0]) for c in choices or ()]
    return ("choice", values) if values else "text"


def _kind(name, unbound):
    """The kind of value a field reads, by its class (an id by its name)."""
    cls = unbound.field_class
    if issubclass(cls, MultipleFileField):
        return "files"
    if issubclass(cls, FileField):
        return "file"
    if name.endswith("_ids"):
        return "ids"
    if name.endswith("_id"):
        return "id"
    for field_class, kind in (
        (YuanField, "money"),
        (RateField, "money"),
        (IntegerField, "int"),
        (DateTimeLocalField, "datetime"),
        (DateField, "date"),
        (BooleanField, "flag"),
        (SelectMultipleField, "ids"),
    ):
        if issubclass(cls, field_class):
            return kind
    if issubclass(cls, (SelectField, RadioField)):
        return _choices(unbound)
    return "text"


def form_fields(form_class) -> dict:
    """name -> kind of every field of the form, named as a browser posts them."""
    fields = {}
    for name in dir(form_class):
        unbound = getattr(form_class, name)
        if not isinstance(unbound, UnboundField):
            continue
        if issubclass(unbound.field_class, FieldList):
            # a list's entries are posted as name-0-field; 20 is past the notice form's last
            entry_form = unbound.args[0].args[0]
            for index in (0, 1, 20):
                for sub, kind in form_fields(entry_form).items():
                    fields[f"{name}-{index}-{sub}"] = kind
        else:
            fields[name] = _kind(name, unbound)
    return fields


# --- each form, who posts it and where ------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A scene (tests/fuzz_scenes.py) and the fields posted: the form class's and any extra."""

    scene: object
    form: type | None = None
    extra: tuple = ()

    def fields(self, scene) -> dict:
        """name -> kind of every field posted (extra: what the view reads from the request)."""
        fields = form_fields(self.form) if self.form else {}
        return fields | dict(self.extra) | scene.fields

    def build(self, frozen_clock):
        """The scene; one that moves the clock (past a response window) takes it."""
        takes_clock = "frozen_clock" in inspect.signature(self.scene).parameters
        return self.scene(frozen_clock) if takes_clock else self.scene()

    def __str__(self):
        """The scene's name, in the test's id."""
        return self.scene.__name__


#: every endpoint taking a POST: a new one without an entry fails test_every_form_is_fuzzed
CASES = {
    "accounts.login": [Case(scenes.login, LoginForm)],
    "accounts.logout": [Case(scenes.logout)],
    "accounts.register": [Case(scenes.register, RegistrationForm)],
    "accounts.change_password": [Case(scenes.password_changer, ChangePasswordForm)],
    "accounts.forgot_password": [Case(scenes.password_forgotten, ForgotPasswordForm)],
    "accounts.reset_password": [Case(scenes.password_reset, NewPasswordForm)],
    "accounts.change_email": [Case(scenes.email_changer, ChangeEmailForm)],
    "members.org_data": [Case(scenes.org_data_admin, OrgDataForm)],
    "agencies.description": [Case(scenes.org_data_admin, DescriptionForm)],
    "members.accept": [Case(scenes.accept_invitation, AcceptInvitationForm)],
    "members.invite": [Case(scenes.invite, InviteForm)],
    "members.revoke": [Case(scenes.revoke_invitation)],
    "members.change_role": [Case(scenes.member_action, RoleForm)],
    "members.authorise": [Case(scenes.member_action)],
    "members.deactivate": [Case(scenes.member_action)],
    "members.reactivate": [Case(scenes.member_action)],
    "notifications.read": [Case(scenes.notification, extra=(("open", "flag"),))],
    "notifications.read_all": [Case(scenes.inbox)],
    "agencies.offerings": [Case(scenes.new_offering, OfferingForm)],
    "agencies.edit_offering": [Case(scenes.own_offering, OfferingForm)],
    "agencies.withdraw": [Case(scenes.own_offering)],
    "library.documents": [Case(scenes.upload, UploadForm)],
    "library.archive_document": [Case(scenes.own_document)],
    "library.practitioners": [Case(scenes.new_practitioner, PractitionerForm)],
    "library.set_practitioner_active": [
        Case(scenes.own_practitioner, extra=(("active", ("choice", ["0", "1"])),))
    ],
    "library.qualifications": [Case(scenes.new_qualification, QualificationForm)],
    "library.verify_qualification": [Case(scenes.declared_qualification, VerifyForm)],
    "library.reject_qualification": [Case(scenes.declared_qualification, RejectForm)],
    "procurement.create": [Case(scenes.new_notice, NoticeForm, (("refresh", "flag"),))],
    "procurement.edit": [Case(scenes.draft_notice, NoticeForm)],
    "procurement.publish": [Case(scenes.draft_notice)],
    "procurement.cancel": [Case(scenes.published_notice, ReasonForm)],
    "procurement.republish": [Case(scenes.failed_notice)],
    "procurement.bid": [Case(scenes.bidder, BidForm)],
    "procurement.replace_bid": [Case(scenes.quoted_bidder, BidForm)],
    "procurement.withdraw_bid": [Case(scenes.quoted_bidder)],
    "procurement.ask_question": [Case(scenes.asking_agency, QuestionForm)],
    "procurement.answer_question": [Case(scenes.asked_purchaser, QuestionAnswerForm)],
    "procurement.reply_to_evaluation": [Case(scenes.rated_agency, EvaluationReplyForm)],
    "procurement.reconfirm": [Case(scenes.invalidated_bidder, BidForm)],
    "procurement.take_step": [
        Case(scenes.direct_choice, ChoiceForm),
        Case(scenes.technical_scores),
    ],
    "procurement.sign": [Case(scenes.awarded_purchaser, SignForm)],
    "procurement.deliver": [Case(scenes.contracted_agency, DeliverForm)],
    "procurement.accept": [
        Case(scenes.delivered_purchaser, AgencyRatingForm, (("evaluate", "flag"),))
    ],
    "procurement.return_delivery": [Case(scenes.delivered_purchaser, ReturnForm)],
    "procurement.evaluate": [
        Case(scenes.accepted_purchaser, AgencyRatingForm),
        Case(scenes.accepted_agency, PurchaserRatingForm),
    ],
    "procurement.terminate": [Case(scenes.contracted_purchaser, TerminateForm)],
    "catalogue.edit_contract_model": [Case(scenes.model_contract_keeper, ContractModelForm)],
    "alerts.save_search": [Case(scenes.subscriber, SearchForm)],
    "alerts.follow_item": [Case(scenes.item_follower, FollowItemForm)],
    "alerts.follow_notice": [Case(scenes.notice_follower)],
    "alerts.delete": [Case(scenes.own_subscription)],
    "procurement.object_to_result": [Case(scenes.rival_in_publicity, ObjectionForm)],
    "procurement.answer_objection": [Case(scenes.open_objection, AnswerForm)],
    "procurement.decide_objection": [Case(scenes.answered_objection, DecisionForm)],
    "procurement.answer_rectification": [Case(scenes.rectification, RectificationAnswerForm)],
    "procurement.record_followup": [
        Case(scenes.followup, FollowupForm, (("status", ("choice", ["open", "answered"])),))
    ],
    "credit.revise_criterion": [Case(scenes.criterion_code, RevisionForm)],
    "credit.retire_criterion": [Case(scenes.criterion_code, RetireForm)],
    "credit.remap_fact": [Case(scenes.fact_key, FactForm)],
    "credit.new_criterion": [Case(scenes.new_criterion, CriterionForm)],
    "credit.inspections": [Case(scenes.inspection_regulator, PlanForm)],
    "credit.inspection_result": [Case(scenes.inspection, ResultForm)],
    "credit.respond": [Case(scenes.reported_record, StatementForm)],
    "credit.decide": [Case(scenes.record_to_decide, DecideForm)],
    "credit.publish": [Case(scenes.record_to_publish)],
    "credit.appeal": [Case(scenes.record_to_appeal, StatementForm)],
    "credit.decide_appeal": [Case(scenes.appealed_record, AppealDecisionForm)],
    "credit.request_repair": [Case(scenes.record_to_repair, RepairForm)],
    "credit.decide_repair": [Case(scenes.repair_requested, RepairDecisionForm)],
    "credit.bulk_confirm": [
        Case(scenes.records_to_confirm, BulkConfirmForm, (("record_ids", "ids"),))
    ],
    "credit.add_to_red_list": [Case(scenes.red_list_regulator, RedListForm)],
    "credit.remove_from_red_list": [Case(scenes.red_list_entry, RemoveForm)],
    "credit.report": [
        Case(scenes.purchaser_report, ReportForm),
        Case(scenes.regulator_report, ReportForm),
    ],
    "credit.report_risk": [Case(scenes.risk_alert, ReportAlertForm)],
    "credit.dismiss_risk": [Case(scenes.risk_alert, DismissAlertForm)],
    "portal.failure_handled": [Case(scenes.listener_failure)],
    "payments.record_transfer": [Case(scenes.due_milestone_purchaser, TransferForm)],
    "payments.checkout": [Case(scenes.due_milestone_purchaser)],
    "payments.confirm": [Case(scenes.recorded_milestone_agency)],
    "payments.dispute": [Case(scenes.recorded_milestone_agency, DisputeForm)],
    "payments.decide": [Case(scenes.disputed_milestone_regulator, PaymentDecideForm)],
    "payments.refund": [Case(scenes.held_milestone_regulator, RefundForm)],
    "payments.payout_account": [Case(scenes.payout_agency)],
    "payments.stripe_webhook": [Case(scenes.webhook, extra=(("type", "text"), ("id", "text")))],
    "catalogue.new_item": [Case(scenes.catalogue_keeper, NewItemForm)],
    "catalogue.edit_item": [Case(scenes.kept_item, ItemForm)],
    "catalogue.withdraw_item": [Case(scenes.kept_item, WithdrawForm)],
    "catalogue.publish_batch": [Case(scenes.drafts_to_publish, BatchForm, (("items", "ids"),))],
    "catalogue.batch_online": [Case(scenes.published_batch, OnlineForm)],
    "catalogue.import_upload": [Case(scenes.catalogue_keeper, ImportForm)],
    "catalogue.import_apply": [Case(scenes.checked_import, ApplyImportForm)],
}


def test_every_form_is_fuzzed(app):
    """A new POST endpoint needs its entry in CASES, so that fuzzing keeps covering them all."""
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert sorted(posted - set(CASES)) == [], "POST endpoints with no fuzz case"
    assert sorted(set(CASES) - posted) == [], "fuzz cases of endpoints that are gone"


# --- what a request wrote ------------------------------------------------------------------------


@cache
def _table_sql() -> list[tuple[str, str, int | None]]:
    """Per table: the statement reading all its rows in a fixed order, and where its id is."""
    quote = _db.engine.dialect.identifier_preparer.quote
    statements = []
    for table in _db.metadata.sorted_tables:
        names = [c.name for c in table.columns]
        order = ", ".join(quote(c.name) for c in table.primary_key.columns) or "1"
        columns = ", ".join(quote(name) for name in names)
        sql = f"SELECT {columns} FROM {quote(table.name)} ORDER BY {order}"
        statements.append((table.name, sql, names.index("id") if "id" in names else None))
    return statements


def snapshot() -> dict:
    """Per table: all its rows, in a fixed order."""
    # Read on the session's connection, inside the test's transaction. Every value, not only
    # counts: a refused form must not change a row either (and a lock taken with a no-op
    # UPDATE, as core.audit does on SQLite, changes no value, so it is no write here).
    commit_in_test()  # what the scene recorded is stored before the request
    connection = _db.session.connection()
    return {name: connection.exec_driver_sql(sql).all() for name, sql, _ in _table_sql()}


def _summary(rows, id_at) -> dict:
    """What a changed table is reported with: its rows, highest id, values with hidden text."""
    hidden = sum(isinstance(v, str) and has_hidden_characters(v) for row in rows for v in row)
    highest = max((row[id_at] for row in rows), default=None) if id_at is not None else None
    return {"rows": len(rows), "highest_id": highest, "hidden": hidden}


def written(before: dict, after: dict) -> dict:
    """The tables whose rows changed: (before, after) summaries."""
    return {
        name: (_summary(before[name], id_at), _summary(after[name], id_at))
        for name, _, id_at in _table_sql()
        if before[name] != after[name]
    }


def hidden_stored(changes: dict) -> list:
    """The tables that gained a value with a control character or a direction override."""
    return [name for name, (was, now) in changes.items() if now["hidden"] > was["hidden"]]


class Requests:
    """One client's requests, each checked for what it wrote and then undone."""

    # The scene lives in the test's transaction (the `db` fixture rolls it back at the end),
    # but Hypothesis runs every example inside that one test: so each request runs in a
    # SAVEPOINT rolled back after it. Every example starts from the same scene, and nothing
    # one example wrote can make another pass or fail. The views' commits only flush
    # (conftest), so they stay inside the savepoint; they are counted, because a refused
    # request must not commit. The cookies are put back too, so that a login, a logout or a
    # flashed message does not carry over to the next example.

    def __init__(self, client, monkeypatch):
        self.client = client
        self.commits = 0
        self.cookies = self._cookies()

        def counting_commit():
            """What conftest's commit does, counted."""
            self.commits += 1
            commit_in_test()

        monkeypatch.setattr(_db.session, "commit", counting_commit)

    def _cookies(self):
        """The client's session and remember-me cookies."""
        return {
            name: cookie.value
            for name in ("session", "remember_token")
            if (cookie := self.client.get_cookie(name)) is not None
        }

    def _restore_cookies(self):
        """The cookies as they were when the scene was signed in."""
        for name in ("session", "remember_token"):
            self.client.delete_cookie(name)
        for name, value in self.cookies.items():
            self.client.set_cookie(name, value)

    def send(self, method, path, watch=True, **kwargs):
        """(response, commits, what was written: if `watch`ed) of one request, undone."""
        self._restore_cookies()
        self.commits = 0
        # Session.rollback() would end the test's whole transaction; the savepoint's own
        # rollback ends only what this request did.
        savepoint = _db.session.begin_nested()
        try:
            before = snapshot() if watch else None
            response = self.client.open(path, method=method, **kwargs)
            changes = written(before, snapshot()) if watch else {}
        finally:
            # Also after a failed flush, which leaves the savepoint inactive but open: the
            # next examples (Hypothesis shrinking a failure) need a working session.
            with contextlib.suppress(ResourceClosedError):
                savepoint.rollback()
        return response, self.commits, changes


def _with_files(form: dict) -> dict:
    """The drawn form with each (content, name) as an uploaded file."""
    data = {}
    for name, value in form.items():
        if isinstance(value, tuple):
            value = (io.BytesIO(value[0]), value[1])
        elif isinstance(value, list):
            value = [(io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for v in value]
        data[name] = value
    return data


def _without_files(form: dict) -> dict:
    """The drawn form with each file as its name only (no file goes in a URL-encoded body)."""
    data = {}
    for name, value in form.items():
        if isinstance(value, tuple):
            value = value[1]
        elif isinstance(value, list):
            value = [v[1] if isinstance(v, tuple) else v for v in value]
        data[name] = value
    return data


#: any JSON document: no page sends one, but a client may
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def request_body(form: dict, encoding: str, document) -> dict:
    """The test client's arguments posting `form` multipart, URL-encoded or as JSON."""
    # No page sends JSON, but Flask-WTF would read it as the form: any document is sent
    # (the form's values, or something else entirely).
    if encoding == "multipart":
        return {"data": _with_files(form), "content_type": "multipart/form-data"}
    if encoding == "urlencoded":
        return {"data": _without_files(form)}
    return {"json": _without_files(form) if document is None else document}


class Posting:
    """One case's address, its form strategy and the requests that post it."""

    def __init__(self, requests: Requests, url: str, form: st.SearchStrategy):
        self.requests, self.url, self.form = requests, url, form

    def __repr__(self):
        """The address: Hypothesis prints the fixtures of a failing example."""
        return f"Posting({self.url})"


def form_strategy(fields: dict, scene) -> st.SearchStrategy:
    """Forms to post: fields left out, valid or generated, all valid but one, or all valid."""
    # All valid but one field: the forms' own checks pass, so odd values reach the services.
    generated = {name: field_strategy(kind, scene.ids) for name, kind in fields.items()}
    absent = st.just(None)

    def either(name):
        """The field left out, generated, or (if the scene has one) valid."""
        options = [absent, generated[name]]
        if name in scene.good:
            options.insert(0, st.just(scene.good[name]))
        return st.one_of(options)

    def all_but_one(odd):
        """Every field valid but `odd`."""
        return st.fixed_dictionaries(
            {
                name: generated[name] if name == odd else st.just(scene.good.get(name))
                for name in fields
            }
        )

    mixed = st.fixed_dictionaries({name: either(name) for name in fields})
    valid = st.just({name: scene.good.get(name) for name in fields})
    # a few names no form has, with odd values (one with a line break reaches the server as
    # a multipart part without a name)
    stray = st.dictionaries(st.text(min_size=1, max_size=12), TEXT, max_size=2)
    odd_one = st.sampled_from(sorted(fields)).flatmap(all_but_one) if fields else mixed
    return st.builds(
        lambda form, extra: {k: v for k, v in (extra | form).items() if v is not None},
        st.one_of(mixed, odd_one, valid),
        stray,
    )


CASE_PARAMS = [
    pytest.param((endpoint, case), id=f"{endpoint}-{case}")
    for endpoint, cases in CASES.items()
    for case in cases
]


@pytest.fixture
def posting(request, app, client, auth, db, frozen_clock, monkeypatch):
    """One case's scene built, its user signed in, and its form's strategy."""
    endpoint, case = request.param
    # Small enough that a generated file can be too large without slowing every example.
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 4096)
    scene = case.build(frozen_clock)
    db.session.flush()
    if scene.user is not None:
        auth.login(scene.user)
    with app.test_request_context():
        url = url_for(endpoint, **scene.args, **scene.query)
    return Posting(Requests(client, monkeypatch), url, form_strategy(case.fields(scene), scene))


# Bounded for CI: 20 examples per form and 4 passes over every page per role keep this file
# under a minute on SQLite; a fixed derandomized run and no example database reproduce it.
@pytest.mark.parametrize("posting", CASE_PARAMS, indirect=True)
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_form_never_fails_and_a_refusal_writes_nothing(posting, data):
    """Any body on any form: no 5xx; a refusal (4xx, or no commit) neither commits nor writes."""
    form = data.draw(posting.form, label="form")
    encoding = data.draw(st.sampled_from(["multipart", "multipart", "urlencoded", "json"]))
    document = data.draw(st.none() | JSON, label="json") if encoding == "json" else None
    response, commits, changes = posting.requests.send(
        "POST", posting.url, **request_body(form, encoding, document)
    )
    status = response.status_code
    assert status < 500, response.get_data(as_text=True)[:500]
    # A view that saves commits once (form -> service -> commit -> redirect); one that did
    # not commit refused the form, shown again or flashed. Services check everything before
    # they write, so a refusal has written nothing, not even what a rollback would drop.
    if status >= 400:
        assert commits == 0, f"{status} after a commit"
    if status >= 400 or commits == 0:
        assert changes == {}, f"refused ({status}) but written: {changes}"
    # No form takes a control character or a direction override (core.forms.BaseForm): none
    # reaches a row (PostgreSQL refuses a NUL outright; SQLite would keep it).
    assert hidden_stored(changes) == [], "a hidden character was stored"


# --- query strings on every page -------------------------------------------------------------

#: the parameters the views read, and a few they do not
QUERY_NAMES = [
    "page",
    "q",
    "item",
    "status",
    "type",
    "state",
    "rule",
    "party",
    "code",
    "department",
    "sort",
    "region",
    "grade",
    "category",
    "list",
    "next",
    "invite",
    "notice_id",
    "can_bid",
    "kind",
    "per_page",
    "from",
    "to",
    "purchaser",
    "method",
    "min",
    "max",
    "actor",
    "org",
    "action",
]
#: odd text for a code, a name or a token in a path
WORD = st.sampled_from(ODD_TEXT[1:]) | st.text(min_size=1, max_size=20)
QUERY = st.lists(
    st.tuples(st.sampled_from(QUERY_NAMES) | st.text(max_size=8), NUMBER | TEXT | DATE),
    max_size=4,
)


#: what the world below gives each argument of a page's address, where it is not an id
NAMED = {
    "kind": ["agency", "purchaser"],
    "table": ["savings", "competition", "violations"],
    "code": ["ZJ012"],
    "filename": ["market.css"],
    # a bulk download file of the world's day
    "name": ["notices.csv", "ocds-releases.jsonl.gz"],
    # the languages offered (any other is 404)
    "lang": ["zh", "en"],
}
#: per page, where one argument name means something else
NAMED_FOR = {
    ("credit.criterion", "code"): ["A05"],
    ("bootstrap.static", "filename"): ["css/bootstrap.min.css"],
    ("catalogue.export", "kind"): ["csv", "json", "xlsx"],
}
ROW_ARGUMENTS = {"notice_id", "org_id", "record_id", "plan_id", "inspection_id", "alert_id"}
ROW_ARGUMENTS |= {"document_id", "offering_id", "token", "milestone_id", "payment_id"}
ROW_ARGUMENTS |= {"item_id", "number", "job_id", "ocid", "day", "agency_id"}


@dataclass
class World:
    """Rows of every kind a page's address can name, and a user of each role."""

    users: dict
    ids: dict

    def values(self, rule) -> dict:
        """A strategy per argument of the address: an existing row, or for a name odd text."""
        values = {}
        for arg in rule.arguments:
            named = NAMED_FOR.get((rule.endpoint, arg)) or NAMED.get(arg)
            if named is None:
                values[arg] = st.sampled_from(self.ids[arg])
            else:
                values[arg] = st.sampled_from(named) | WORD
        return values


def build_world() -> World:
    """A notice through evaluation, a disclosed record, a plan, alerts, a draft, an invitation."""
    notice, buyer, agency = make.evaluated_notice(agency_scores=scenes.POOR_SCORES)
    record, regulator, _ = make.confirmed_record(agency_user=agency)
    plan = create_plan(regulator, dict.fromkeys("ABCD", 10000))
    scenes.risk_alert()
    open_notice = make.notice(buyer)
    draft = make.notice(buyer, publish=False)
    document = make.document(agency)
    _, token = invite_member(buyer, "invited@example.cn", "member")
    (milestone,) = payments.contract_milestones(notice.contract.id)
    payment = make.bank_transfer(buyer, milestone)
    import_scene = scenes.checked_import()
    batch = scenes.published_batch()
    ids = {
        "notice_id": [notice.id, open_notice.id, draft.id],
        "org_id": [agency.organisation.id, buyer.organisation.id],
        "agency_id": [agency.organisation.id, buyer.organisation.id],
        "record_id": [record.id],
        "plan_id": [plan.id],
        "inspection_id": [i.id for i in plan.inspections],
        "alert_id": _db.session.scalars(select(RiskAlert.id)).all(),
        "document_id": [document.id],
        "offering_id": [agency_of(agency).offerings[0].id],
        "token": [token],
        "milestone_id": [milestone.id],
        "payment_id": [payment.id],
        "item_id": [make.item("ZJ012").id],
        # a batch's number, and an item's version (ZJ012's first)
        "number": [batch.args["number"], 1],
        "job_id": [import_scene.args["job_id"]],
        # the OCDS records of the notices (a draft's is not found)
        "ocid": [
            f"{current_app.config['OCDS_PREFIX']}-{n.id}" for n in (notice, open_notice, draft)
        ],
        # the day of the bulk download files, written now
        "day": [bulk.write_day()["date"]],
    }
    users = {
        "agency": agency,
        "purchaser": buyer,
        "regulator": regulator,
        "operator": make.staff("operator", "平台运营中心"),
    }
    return World(users, ids)


def get_rules(app):
    """Every rule answering GET, in a fixed order."""
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda rule: rule.rule,
    )


def test_every_page_address_can_be_filled(app):
    """A page whose address takes an argument the world lacks needs it, to be fuzzed too."""
    known = ROW_ARGUMENTS | set(NAMED)
    missing = {(rule.rule, arg) for rule in get_rules(app) for arg in rule.arguments - known}
    assert missing == set()


@pytest.fixture(params=["anonymous", "agency", "purchaser", "regulator", "operator"])
def browsing(request, client, auth, db, monkeypatch):
    """The world built and one of its users signed in (or none)."""
    world = build_world()
    user = world.users.get(request.param)
    if user is not None:
        auth.login(user)
    return world, Requests(client, monkeypatch)


@settings(
    max_examples=4,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_page_fails_on_any_query(app, browsing, data):
    """Every GET page, its address filled with rows that exist, with a generated query."""
    world, requests = browsing
    for rule in get_rules(app):
        values = data.draw(st.fixed_dictionaries(world.values(rule)), label=rule.rule)
        with app.test_request_context():
            path = url_for(rule.endpoint, **values)
        query = data.draw(QUERY, label="query")
        # A page may write (a deadline it applies): only its answer is checked here.
        response, _, _ = requests.send("GET", path, watch=False, query_string=query)
        if rule.endpoint == "health.healthz":
            # 503 is its answer while no worker runs (as here), 400 a NUL in the address.
            assert response.status_code in (200, 400, 503), (path, query)
            continue
        assert response.status_code < 500, (path, query)
        response.close()  # static files stay open until closed


def test_every_page_answers_in_english(app, browsing, monkeypatch):
    """Every GET page, its address filled with rows that exist, in English: no text of the
    English catalogue breaks a page (a placeholder, a percent sign)."""
    world, requests = browsing
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")
    home, _, _ = requests.send("GET", "/", watch=False)
    assert '<html lang="en">' in home.get_data(as_text=True)
    for rule in get_rules(app):
        values = {}
        for arg in rule.arguments:
            named = NAMED_FOR.get((rule.endpoint, arg)) or NAMED.get(arg)
            values[arg] = named[0] if named is not None else world.ids[arg][0]
        with app.test_request_context():
            path = url_for(rule.endpoint, **values)
        response, _, _ = requests.send("GET", path, watch=False)
        expected = (200, 503) if rule.endpoint == "health.healthz" else None
        assert response.status_code < 500 or (expected and response.status_code in expected), path
        response.close()


# --- the statistics' filters ---------------------------------------------------------------------

STATISTICS_PATHS = ("/statistics/", "/statistics/data.json", "/statistics/competition.csv")
MONTH_TEXT = st.sampled_from(["2026-01", "2000-01", "2100-12", "1999-12", "2101-01", "2026-13"])


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.fixed_dictionaries(
        {},
        optional={
            "from": MONTH_TEXT | DATE | TEXT,
            "to": MONTH_TEXT | DATE | TEXT,
            "department": st.sampled_from(["生态环境部门", "水利部门"]) | TEXT,
            "item": st.sampled_from(["1", "12"]) | st.sampled_from(ODD_IDS) | NUMBER,
        },
    ),
    path=st.sampled_from(STATISTICS_PATHS),
)
def test_the_statistics_filters_never_fail(client, query, path):
    """Any filter values: the figures (200), or the refusal saying why (400); never a 5xx."""
    response = client.get(path, query_string=query)
    assert response.status_code in (200, 400), (path, query)
    if response.status_code == 400 and "\x00" not in str(query):  # a NUL: refused before
        if response.is_json:
            text = "".join(response.get_json()["errors"])
        else:
            text = response.get_data(as_text=True)
        assert any(word in text for word in ("月份", "服务事项", "审批部门")), (path, query)
