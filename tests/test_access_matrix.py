"""Who may open or do what: every route of the application × nine roles, the answer each
role gets declared in one table (ROUTES). A route missing from the table fails, and so does
a declared route the application no longer serves.

Each route is asked about in a world of its own (its scene): the objects its address names
belong to the "owning" side — the purchaser's notice, the agency admin's offering, document,
qualification and quote, the record the owning department keeps about the agency, an
invitation of the agency … — so "another agency / purchaser / department" asks about
something that is not theirs. Every world also holds the agency's quote on an open notice,
still sealed: no answer to anyone but the agency's own people shows its amount.

POSTs send an empty form (CSRF is off in tests): what is checked is the access decision
(sent to sign in, 403, 404, or let in), not whether the action succeeds. A role refused is
asked again with every field of every form filled with what no form takes, and must be
refused the same way: who may act is decided before the form is read. Each request runs in
a savepoint rolled back afterwards, so one role's action does not change what the next one
finds.

Where the answer depends on the state of things, the route's scene picks one realistic state
(SCENES; each scene says what it is).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import current_app
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms.fields.core import UnboundField

from market.accounts import credentials
from market.accounts.members import invite_member
from market.accounts.services import await_confirmation, unlock_token
from market.agencies.models import Offering
from market.alerts import services as alerts
from market.catalogue import batches, revisions
from market.catalogue.fields import values_from_text
from market.catalogue.models import CatalogueImport
from market.core import clock, pagecache
from market.core.clock import utcnow
from market.core.models import ListenerFailure, WorkerHeartbeat
from market.credit import criteria
from market.credit.disclosure.redlist import RedListData, add_to_red_list
from market.credit.inspections.services import create_plan
from market.credit.records import appeals
from market.credit.records import services as records
from market.credit.risk.models import RiskAlert
from market.extensions import db
from market.notifications.services import notify
from market.opendata import bulk
from market.payments import services as payments
from market.procurement import services as procurement
from market.procurement.models import Notice
from market.procurement.runner import apply_due

from . import factories as make

# --- the nine roles ------------------------------------------------------------------------

ANONYMOUS = "anonymous"
AGENCY_ADMIN = "agency admin"  # the owning agency's admin: the quote, offering, files are its
AGENCY_MEMBER = "agency member"  # a colleague in the same agency, not an admin
OTHER_AGENCY = "another agency"
PURCHASER = "purchaser"  # the notice's owner
OTHER_PURCHASER = "another purchaser"
REGULATOR = "regulator"  # of the department approving ZJ012: 生态环境部门
OTHER_REGULATOR = "another department"  # a regulator of 规划自然资源部门
OPERATOR = "operator"

ROLES = (
    ANONYMOUS,
    AGENCY_ADMIN,
    AGENCY_MEMBER,
    OTHER_AGENCY,
    PURCHASER,
    OTHER_PURCHASER,
    REGULATOR,
    OTHER_REGULATOR,
    OPERATOR,
)
SIGNED_IN = ROLES[1:]
OWN_AGENCY = (AGENCY_ADMIN, AGENCY_MEMBER)
AGENCIES = (*OWN_AGENCY, OTHER_AGENCY)
PURCHASERS = (PURCHASER, OTHER_PURCHASER)
REGULATORS = (REGULATOR, OTHER_REGULATOR)
SUPERVISORS = (*REGULATORS, OPERATOR)
#: every signed-in role is the admin of its own organisation except the agency member
ORG_ADMINS = tuple(r for r in SIGNED_IN if r != AGENCY_MEMBER)

OWNING_DEPARTMENT = "生态环境部门"
OTHER_DEPARTMENT = "规划自然资源部门"
#: an item the owning department adds to the catalogue
ITEM_TEXT = {
    "code": "ZJ950",
    "name": "排污许可申请材料编制",
    "licensing_item": "排污许可",
    "legal_basis": "《排污许可管理条例》",
    "approving_department": OWNING_DEPARTMENT,
    "category": "环境评价",
    "list_kind": "licensing",
    "fee_type": "market",
}

# --- what a user notices ---------------------------------------------------------------------

OK = "ok"  # the page, or the action's answer: anything 2xx/3xx but a trip to the login page
LOGIN = "login"  # sent to the login page (302 to /login?next=…)
FORBIDDEN = "forbidden"  # the 403 page 无权访问
NOT_FOUND = "not found"  # 404: the object does not exist for them
BAD_REQUEST = "bad request"  # 400: let in, the empty form refused
FORM_ERRORS = "form errors"  # 422: let in, the form shown again with what is missing
UNAVAILABLE = "unavailable"  # 503


def only(answer, *roles, others=FORBIDDEN, anonymous=LOGIN):
    """`answer` for `roles`, `others` for the other signed-in roles, `anonymous` for visitors
    who are not signed in."""
    table = {role: others for role in SIGNED_IN} | {ANONYMOUS: anonymous}
    return table | {role: answer for role in roles}


PUBLIC = {role: OK for role in ROLES}
SIGNED_IN_ONLY = only(OK, *SIGNED_IN)
AGENCY_ONLY = only(OK, *AGENCIES)
PURCHASER_ONLY = only(OK, *PURCHASERS)
SUPERVISORS_ONLY = only(OK, *SUPERVISORS)
OPERATOR_ONLY = only(OK, OPERATOR)


@dataclass(frozen=True)
class Route:
    scene: str  # the state of the world the route is asked about in (SCENES)
    methods: dict  # method → {role: answer}


def at(scene, **methods):
    return Route(scene, methods)


def anywhere(**methods):
    return Route("", methods)


# --- the table -------------------------------------------------------------------------------

#: a conduct record does not exist (404) for organisations other than its party and reporter
RECORD_UNSEEN = {OTHER_AGENCY: NOT_FOUND, PURCHASER: NOT_FOUND, OTHER_PURCHASER: NOT_FOUND}

#: a milestone does not exist (404) for organisations other than the contract's parties, the
#: item's department and operators
MILESTONE_UNSEEN = {OTHER_AGENCY: NOT_FOUND, OTHER_PURCHASER: NOT_FOUND, OTHER_REGULATOR: NOT_FOUND}

ROUTES: dict[str, Route] = {
    # --- accounts: signing in and up
    "accounts.account": anywhere(GET=SIGNED_IN_ONLY),
    # an empty login or registration form comes back with its errors (200)
    "accounts.login": anywhere(GET=PUBLIC, POST=PUBLIC),
    "accounts.logout": anywhere(POST=SIGNED_IN_ONLY),
    "accounts.register": anywhere(GET=PUBLIC, POST=PUBLIC),
    "accounts.register_choice": anywhere(GET=PUBLIC),
    # the language switch: for anyone, back to the page it was on
    "accounts.language": anywhere(GET=PUBLIC),
    # a live unlock link: whoever holds it unlocks that account and lands on the login page
    "accounts.unlock": anywhere(GET=PUBLIC),
    # a live registration link: whoever holds it completes that registration and is signed in
    "accounts.confirm_registration": anywhere(GET=PUBLIC),
    # --- one's own password and e-mail; forgetting one's password (an empty form comes back
    # with its errors, 200); a live reset link: whoever holds it sets that account's password;
    # a live e-mail change link: whoever holds it confirms it and is sent on with a message
    "accounts.change_password": anywhere(GET=SIGNED_IN_ONLY, POST=SIGNED_IN_ONLY),
    "accounts.forgot_password": anywhere(GET=PUBLIC, POST=PUBLIC),
    "accounts.reset_password": anywhere(GET=PUBLIC, POST=PUBLIC),
    "accounts.change_email": anywhere(GET=SIGNED_IN_ONLY, POST=SIGNED_IN_ONLY),
    "accounts.confirm_email": anywhere(GET=PUBLIC),
    # the organisation's registered data: the admins of agencies and purchasers
    "members.org_data": anywhere(
        GET=only(OK, AGENCY_ADMIN, OTHER_AGENCY, *PURCHASERS),
        POST=only(OK, AGENCY_ADMIN, OTHER_AGENCY, *PURCHASERS),
    ),
    # --- members and invitations: the agency admin manages its colleague and its invitation
    # (the address's token); every other organisation's admin manages only its own
    "members.index": anywhere(GET=SIGNED_IN_ONLY),
    "members.invite": anywhere(POST=only(FORM_ERRORS, *ORG_ADMINS)),
    "members.change_role": anywhere(POST=only(OK, AGENCY_ADMIN)),
    "members.authorise": anywhere(POST=only(OK, AGENCY_ADMIN)),
    "members.deactivate": anywhere(POST=only(OK, AGENCY_ADMIN)),
    "members.reactivate": anywhere(POST=only(OK, AGENCY_ADMIN)),
    "members.revoke": anywhere(POST=only(OK, AGENCY_ADMIN)),
    # signed in, the page says the seat is for a new account; taking it is refused
    "members.accept": anywhere(GET=PUBLIC, POST=only(OK, ANONYMOUS)),
    # --- the inbox: the notification is the agency's
    "notifications.inbox": anywhere(GET=SIGNED_IN_ONLY),
    "notifications.read": anywhere(POST=only(OK, *OWN_AGENCY, others=NOT_FOUND)),
    "notifications.read_all": anywhere(POST=SIGNED_IN_ONLY),
    # --- catalogue, storefronts, shelves (ZJ012), search, health
    "catalogue.index": anywhere(GET=PUBLIC),
    "catalogue.detail": anywhere(GET=PUBLIC),
    "catalogue.version": anywhere(GET=PUBLIC),
    "catalogue.batch_list": anywhere(GET=PUBLIC),
    "catalogue.batch": anywhere(GET=PUBLIC),
    "catalogue.changes": anywhere(GET=PUBLIC),
    "catalogue.export": anywhere(GET=PUBLIC),
    "catalogue.export_version": anywhere(GET=PUBLIC),
    "feeds.notices": anywhere(GET=PUBLIC),
    "feeds.results": anywhere(GET=PUBLIC),
    # --- open data: OCDS packages of the published notices
    "ocds.releases": anywhere(GET=PUBLIC),
    "ocds.records": anywhere(GET=PUBLIC),
    "ocds.one_record": anywhere(GET=PUBLIC),
    # --- open data: the bulk downloads (written after the sealed quote: none of it shows)
    "opendata.index": anywhere(GET=PUBLIC),
    "opendata.manifest": anywhere(GET=PUBLIC),
    "opendata.file": anywhere(GET=PUBLIC),
    # --- the JSON API and its OpenAPI document (the sealed notice's quote shows nowhere)
    "api-docs.openapi_json": anywhere(GET=PUBLIC),
    "api_index.index": anywhere(GET=PUBLIC),
    "api_notices.notices": anywhere(GET=PUBLIC),
    "api_notices.notice": anywhere(GET=PUBLIC),
    "api_notices.results": anywhere(GET=PUBLIC),
    "api_notices.contracts": anywhere(GET=PUBLIC),
    "api_agencies.agencies": anywhere(GET=PUBLIC),
    "api_agencies.agency": anywhere(GET=PUBLIC),
    "api_catalogue.items": anywhere(GET=PUBLIC),
    "api_catalogue.item": anywhere(GET=PUBLIC),
    "api_catalogue.versions": anywhere(GET=PUBLIC),
    "api_credit.disclosures": anywhere(GET=PUBLIC),
    "api_statistics.statistics": anywhere(GET=PUBLIC),
    # --- the audit pack of a notice whose result is in publicity, and the daily chain heads
    "auditpack.pack": at("publicity", GET=PUBLIC),
    "auditpack.chain_heads": anywhere(GET=PUBLIC),
    # --- keeping the catalogue: ZJ012 and the batch and import are the owning department's;
    # another department keeps its own items (its list, its forms) but not these
    "catalogue.manage": anywhere(GET=only(OK, *REGULATORS)),
    "catalogue.contract_model": anywhere(GET=PUBLIC),
    "catalogue.edit_contract_model": anywhere(
        GET=only(OK, REGULATOR), POST=only(BAD_REQUEST, REGULATOR)
    ),
    "catalogue.new_item": anywhere(GET=only(OK, *REGULATORS), POST=only(BAD_REQUEST, *REGULATORS)),
    "catalogue.edit_item": anywhere(GET=only(OK, REGULATOR), POST=only(BAD_REQUEST, REGULATOR)),
    "catalogue.withdraw_item": anywhere(GET=only(OK, REGULATOR), POST=only(BAD_REQUEST, REGULATOR)),
    # an empty choice comes back to the department's list with a message
    "catalogue.publish_batch": anywhere(POST=only(OK, *REGULATORS)),
    "catalogue.batch_online": anywhere(POST=only(OK, REGULATOR)),
    "catalogue.import_upload": anywhere(
        GET=only(OK, *REGULATORS), POST=only(BAD_REQUEST, *REGULATORS)
    ),
    "catalogue.import_preview": anywhere(GET=only(OK, REGULATOR) | {OTHER_REGULATOR: NOT_FOUND}),
    "catalogue.import_apply": anywhere(
        POST=only(BAD_REQUEST, REGULATOR) | {OTHER_REGULATOR: NOT_FOUND}
    ),
    "agencies.directory": anywhere(GET=PUBLIC),
    "agencies.profile": anywhere(GET=PUBLIC),
    "agencies.shelves": anywhere(GET=PUBLIC),
    "agencies.shelf": anywhere(GET=PUBLIC),
    "search.results": anywhere(GET=PUBLIC),
    "health.healthz": at("worker running", GET=PUBLIC),
    # --- the agency's own offerings, library, qualifications, practitioners
    # (an empty form on the agency's own pages comes back with its errors, 200)
    "agencies.offerings": anywhere(GET=AGENCY_ONLY, POST=AGENCY_ONLY),
    "agencies.edit_offering": anywhere(GET=only(OK, *OWN_AGENCY), POST=only(OK, *OWN_AGENCY)),
    "agencies.withdraw": anywhere(GET=only(OK, *OWN_AGENCY), POST=only(OK, *OWN_AGENCY)),
    # the introduction (机构简介): an agency's admins
    "agencies.description": anywhere(
        GET=only(OK, AGENCY_ADMIN, OTHER_AGENCY), POST=only(OK, AGENCY_ADMIN, OTHER_AGENCY)
    ),
    "library.documents": anywhere(GET=AGENCY_ONLY, POST=AGENCY_ONLY),
    "library.archive_document": anywhere(GET=only(OK, *OWN_AGENCY), POST=only(OK, *OWN_AGENCY)),
    # the file the sealed quote cites: its agency, regulators and operators read it; the
    # purchaser only once the quotes are opened (before the deadline here)
    "library.download": anywhere(GET=only(OK, *OWN_AGENCY, *SUPERVISORS)),
    "library.qualifications": anywhere(GET=AGENCY_ONLY, POST=AGENCY_ONLY),
    "library.practitioners": anywhere(GET=AGENCY_ONLY, POST=AGENCY_ONLY),
    # no active flag: 400, once the practitioner is found to be the agency's
    "library.set_practitioner_active": anywhere(POST=only(BAD_REQUEST, *OWN_AGENCY)),
    # --- verifying the agency's declared qualification (ZJ012: the owning department)
    "library.pending": anywhere(GET=only(OK, *REGULATORS)),
    # verified; rejecting without a reason goes back to the list with the message
    "library.verify_qualification": anywhere(POST=only(OK, REGULATOR)),
    "library.reject_qualification": anywhere(POST=only(OK, REGULATOR)),
    # --- notices: lists and the purchaser's own
    "portal.home": anywhere(GET=PUBLIC),
    "portal.dashboard": anywhere(GET=SIGNED_IN_ONLY),
    "procurement.index": anywhere(GET=PUBLIC),
    "procurement.my_notices": anywhere(GET=PURCHASER_ONLY),
    "procurement.opportunities": anywhere(GET=AGENCY_ONLY),
    "procurement.my_bids": anywhere(GET=AGENCY_ONLY),
    "procurement.create": anywhere(GET=PURCHASER_ONLY, POST=PURCHASER_ONLY),
    # a draft exists only for its purchaser
    "procurement.publish": at("draft", POST=only(OK, PURCHASER) | {OTHER_PURCHASER: NOT_FOUND}),
    # --- the notice before its deadline, the agency's quote sealed in it: public pages show
    # no quote; any agency may quote; only the purchaser edits or cancels
    "procurement.detail": at("open", GET=PUBLIC),
    "procurement.commitments": at("open", GET=PUBLIC),
    "procurement.draw": at("open", GET=PUBLIC),
    "procurement.edit": at("open", GET=only(OK, PURCHASER), POST=only(OK, PURCHASER)),
    "procurement.cancel": at("open", POST=only(OK, PURCHASER)),
    "procurement.bid": at("open", POST=only(FORM_ERRORS, *AGENCIES)),
    # replacing: the empty form is refused (its own agency), or the reason another agency
    # cannot (it has no quote); withdrawing: a confirmation page, or back to the notice with
    # a message
    "procurement.replace_bid": at("open", POST=only(FORM_ERRORS, *AGENCIES)),
    "procurement.withdraw_bid": at("open", GET=only(OK, *AGENCIES), POST=only(OK, *AGENCIES)),
    # the receipt of the sealed quote: its agency's people alone
    "procurement.bid_receipt": at("open", GET=only(OK, *OWN_AGENCY)),
    "procurement.bid_receipt_pdf": at("open", GET=only(OK, *OWN_AGENCY)),
    "procurement.bid_receipt_json": at("open", GET=only(OK, *OWN_AGENCY)),
    # questions: any agency asks (the empty form refused); the purchaser answers
    "procurement.ask_question": at("open", POST=only(FORM_ERRORS, *AGENCIES)),
    "procurement.answer_question": at("open", POST=only(FORM_ERRORS, PURCHASER)),
    # reconfirming concerns the agency's own quote: any agency reaches the form
    "procurement.reconfirm": at("open", POST=only(FORM_ERRORS, *AGENCIES)),
    "procurement.republish": at("failed", POST=only(OK, PURCHASER)),
    # the purchaser's choice after the deadline (a direct selection), quotes opened
    "procurement.take_step": at("closed", POST=only(FORM_ERRORS, PURCHASER)),
    # --- publicity: a third agency won; the agency, whose quote lost, objects
    "procurement.object_to_result": at("publicity", POST=only(FORM_ERRORS, *OWN_AGENCY)),
    "procurement.answer_objection": at("objection", POST=only(FORM_ERRORS, PURCHASER)),
    "procurement.decide_objection": at("objection", POST=only(FORM_ERRORS, REGULATOR)),
    # --- the agency won: contract, delivery, acceptance, evaluation, rectification
    # signing with nothing uploaded signs the contract generated from the model contract
    "procurement.sign": at("awarded", POST=only(OK, *OWN_AGENCY, PURCHASER)),
    "procurement.deliver": at("contracted", POST=only(FORM_ERRORS, *OWN_AGENCY)),
    "procurement.terminate": at("contracted", POST=only(FORM_ERRORS, PURCHASER, REGULATOR)),
    # accepting needs no form: it is accepted
    "procurement.accept": at("delivered", POST=only(OK, PURCHASER)),
    "procurement.return_delivery": at("delivered", POST=only(FORM_ERRORS, PURCHASER)),
    "procurement.evaluate": at("evaluating", POST=only(FORM_ERRORS, *OWN_AGENCY, PURCHASER)),
    # the purchaser's public rating of the agency: the agency replies (the empty form refused)
    "procurement.reply_to_evaluation": at("evaluated", POST=only(FORM_ERRORS, *OWN_AGENCY)),
    # the award's letters: the award notice for its two parties; the agency won, so no agency
    # here has a notice of non-selection; the contract's preview for its parties
    "procurement.award_letter": at(
        "awarded",
        GET=only(OK, *OWN_AGENCY, PURCHASER)
        | {OTHER_AGENCY: NOT_FOUND, OTHER_PURCHASER: NOT_FOUND},
    ),
    "procurement.outcome_letter": at("awarded", GET=only(NOT_FOUND, *AGENCIES)),
    "procurement.contract_preview": at(
        "awarded",
        GET=only(OK, *OWN_AGENCY, PURCHASER)
        | {OTHER_AGENCY: NOT_FOUND, OTHER_PURCHASER: NOT_FOUND},
    ),
    # no answer: back to the notice with the message
    "procurement.answer_rectification": at("rectifying", POST=only(OK, *OWN_AGENCY)),
    "procurement.rectifications": anywhere(GET=OPERATOR_ONLY),
    "procurement.record_followup": at("rectifying", POST=only(OK, OPERATOR)),
    # --- conduct records the owning department keeps about the agency
    "credit.record_list": anywhere(GET=SIGNED_IN_ONLY),
    "credit.record": at("reported", GET=only(OK, *OWN_AGENCY, *SUPERVISORS) | RECORD_UNSEEN),
    "credit.respond": at("reported", POST=only(FORM_ERRORS, *OWN_AGENCY) | RECORD_UNSEEN),
    "credit.decide": at("decidable", POST=only(FORM_ERRORS, REGULATOR)),
    "credit.publish": at("confirmed", POST=only(OK, REGULATOR)),
    "credit.appeal": at("disclosed", POST=only(FORM_ERRORS, *OWN_AGENCY) | RECORD_UNSEEN),
    "credit.request_repair": at("disclosed", POST=only(FORM_ERRORS, *OWN_AGENCY) | RECORD_UNSEEN),
    "credit.decide_appeal": at("appealed", POST=only(FORM_ERRORS, REGULATOR)),
    "credit.decide_repair": at("repair requested", POST=only(FORM_ERRORS, REGULATOR)),
    # nothing ticked: back to the list with the message (each record is decided by its own
    # department)
    "credit.bulk_confirm": anywhere(POST=only(OK, *REGULATORS)),
    # a purchaser is sent to its own notices to pick the one it reports on
    "credit.report": anywhere(
        GET=only(OK, *PURCHASERS, *REGULATORS),
        POST=only(OK, *PURCHASERS) | {REGULATOR: FORM_ERRORS, OTHER_REGULATOR: FORM_ERRORS},
    ),
    # --- criteria: E01 is the owning department's; it keeps the system's facts here too
    "credit.criteria_index": anywhere(GET=PUBLIC),
    "credit.criterion": anywhere(GET=PUBLIC),
    "credit.new_criterion": anywhere(
        GET=only(OK, *REGULATORS), POST=only(BAD_REQUEST, *REGULATORS)
    ),
    "credit.revise_criterion": anywhere(POST=only(BAD_REQUEST, REGULATOR)),
    "credit.retire_criterion": anywhere(POST=only(BAD_REQUEST, REGULATOR)),
    "credit.remap_fact": at("platform list", POST=only(BAD_REQUEST, REGULATOR)),
    # --- disclosure, blacklist, red list (the entry is the owning department's)
    "credit.agency": anywhere(GET=PUBLIC),
    "credit.disclosures": anywhere(GET=PUBLIC),
    "credit.disclosures_csv": anywhere(GET=PUBLIC),
    "credit.disclosures_json": anywhere(GET=PUBLIC),
    "credit.blacklist": anywhere(GET=PUBLIC),
    "credit.blacklist_csv": anywhere(GET=PUBLIC),
    "credit.blacklist_json": anywhere(GET=PUBLIC),
    "credit.redlist": anywhere(GET=PUBLIC),
    "credit.redlist_csv": anywhere(GET=PUBLIC),
    "credit.redlist_json": anywhere(GET=PUBLIC),
    "credit.add_to_red_list": anywhere(POST=only(BAD_REQUEST, *REGULATORS)),
    "credit.remove_from_red_list": at("red listed", POST=only(BAD_REQUEST, REGULATOR)),
    # --- graded inspections: the owning department's plan, the agency sampled
    "credit.inspections": anywhere(GET=only(OK, *REGULATORS), POST=only(BAD_REQUEST, *REGULATORS)),
    "credit.inspection_plan": at("inspection", GET=PUBLIC),
    "credit.inspection_result": at(
        "inspection", GET=only(OK, REGULATOR), POST=only(BAD_REQUEST, REGULATOR)
    ),
    # --- risk alerts: the owning department's single-response alert on the agency's quote;
    # the operator reads every alert and handles none
    "credit.risks": anywhere(GET=SUPERVISORS_ONLY),
    "credit.risk_alert": at("alert", GET=only(OK, REGULATOR, OPERATOR)),
    "credit.report_risk": at("alert", POST=only(BAD_REQUEST, REGULATOR)),
    "credit.dismiss_risk": at("alert", POST=only(BAD_REQUEST, REGULATOR)),
    # --- supervision: the audit log and the system's failures (not a department's)
    "portal.audit_log": anywhere(GET=SUPERVISORS_ONLY),
    "portal.failures": anywhere(GET=SUPERVISORS_ONLY),
    "portal.failure_handled": anywhere(POST=SUPERVISORS_ONLY),
    # --- payments: the accepted contract's milestone, due; a milestone exists only for the
    # contract's parties, the item's department and operators
    "payments.milestone": at(
        "payment due", GET=only(OK, *OWN_AGENCY, PURCHASER, REGULATOR, OPERATOR) | MILESTONE_UNSEEN
    ),
    "payments.record_transfer": at(
        "payment due", POST=only(FORM_ERRORS, PURCHASER) | {OTHER_PURCHASER: NOT_FOUND}
    ),
    # offline: back to the milestone with the reason (online payment is not configured)
    "payments.checkout": at("payment due", POST=only(OK, PURCHASER) | {OTHER_PURCHASER: NOT_FOUND}),
    "payments.checkout_return": at(
        "payment recorded", GET=only(OK, PURCHASER) | {OTHER_PURCHASER: NOT_FOUND}
    ),
    "payments.confirm": at(
        "payment recorded", POST=only(OK, *OWN_AGENCY) | {OTHER_AGENCY: NOT_FOUND}
    ),
    "payments.dispute": at(
        "payment recorded", POST=only(FORM_ERRORS, *OWN_AGENCY) | {OTHER_AGENCY: NOT_FOUND}
    ),
    "payments.receipt": at(
        "payment recorded",
        GET=only(OK, *OWN_AGENCY, PURCHASER, REGULATOR, OPERATOR) | MILESTONE_UNSEEN,
    ),
    "payments.decide": at(
        "payment disputed", POST=only(FORM_ERRORS, REGULATOR) | {OTHER_REGULATOR: NOT_FOUND}
    ),
    "payments.refund": at(
        "payment held", POST=only(FORM_ERRORS, REGULATOR) | {OTHER_REGULATOR: NOT_FOUND}
    ),
    # the gateway's webhook: no login, no CSRF; nothing without a valid signature
    "payments.stripe_webhook": anywhere(POST={role: BAD_REQUEST for role in ROLES}),
    # offline: back to the workspace with the reason
    "payments.payout_account": anywhere(POST=AGENCY_ONLY),
    "payments.payout_account_return": anywhere(GET=AGENCY_ONLY),
    "payments.payments_list": anywhere(GET=SUPERVISORS_ONLY),
    "payments.payments_csv": anywhere(GET=SUPERVISORS_ONLY),
    "payments.purchaser": anywhere(GET=PUBLIC),
    # --- subscriptions: one's own; following an item or the open notice answers with a
    # message; the subscription deleted is the agency admin's
    "alerts.index": anywhere(GET=SIGNED_IN_ONLY),
    "alerts.save_search": anywhere(POST=only(FORM_ERRORS, *SIGNED_IN)),
    "alerts.follow_item": anywhere(POST=SIGNED_IN_ONLY),
    "alerts.follow_notice": at("open", POST=SIGNED_IN_ONLY),
    "alerts.delete": anywhere(POST=only(OK, AGENCY_ADMIN)),
    # --- statistics: public, their figures counted without the sealed quote
    "statistics.index": anywhere(GET=PUBLIC),
    "statistics.data_json": anywhere(GET=PUBLIC),
    "statistics.table_csv": anywhere(GET=PUBLIC),
}

#: endpoints that serve files shipped with the application
SKIPPED = {"static", "bootstrap.static"}


# --- the world ---------------------------------------------------------------------------------

#: the agency's quote on the open notice, sealed until its deadline: its amount as pages
#: would write it, and its plan
SEALED_FEN = 87_654_32
SEALED_PLAN = "技术方案：驻场编制，十五个工作日交付 QX7"
SEALED_SHOWN = ("87,654.32", "87654.32", str(SEALED_FEN), SEALED_PLAN)
POOR = {**make.GOOD_SCORES, "timeliness": 2}


@dataclass
class World:
    """The nine users and what a route's address names, all on the owning side."""

    users: dict
    monkeypatch: pytest.MonkeyPatch
    args: dict = field(default_factory=dict)

    @classmethod
    def build(cls, monkeypatch):
        admin = make.agency()
        return cls(
            monkeypatch=monkeypatch,
            users={
                AGENCY_ADMIN: admin,
                AGENCY_MEMBER: make.member(admin),
                OTHER_AGENCY: make.agency(),
                PURCHASER: make.purchaser(),
                OTHER_PURCHASER: make.purchaser(),
                REGULATOR: make.staff("regulator", OWNING_DEPARTMENT),
                OTHER_REGULATOR: make.staff("regulator", OTHER_DEPARTMENT),
                OPERATOR: make.staff("operator", "平台运营中心"),
            },
        )

    @property
    def agency(self):
        return self.users[AGENCY_ADMIN]

    @property
    def buyer(self):
        return self.users[PURCHASER]

    @property
    def regulator(self):
        return self.users[REGULATOR]

    def seal(self):
        """The agency's quote on an open notice of the purchaser, before its deadline, citing
        the agency's qualification and a file of its library (the addresses' own)."""
        notice = make.notice(self.buyer)
        document = make.document(self.agency)
        qualification = make.qualification(self.agency, document_id=document.id)
        procurement.submit_bid(
            self.agency, notice, SEALED_FEN, SEALED_PLAN, [qualification.id], [document.id]
        )
        self.args.setdefault("notice_id", notice.id)
        self.args.setdefault("document_id", document.id)
        self.args.setdefault("qualification_id", qualification.id)

    # --- what an address may name, made when asked for

    def value(self, endpoint, name):
        if name in self.args:
            return self.args[name]
        if name == "code":
            # a catalogue item on the shelves and in the catalogue; a criterion in credit
            return self.criterion() if endpoint.startswith("credit.") else "ZJ012"
        if name == "token":
            if endpoint == "accounts.unlock":
                return self.unlock_token()
            if endpoint == "accounts.confirm_registration":
                return self.confirmation_token()
            if endpoint == "accounts.reset_password":
                return credentials.password_reset_for(self.agency.email)[1]
            if endpoint == "accounts.confirm_email":
                change = credentials.request_email_change(
                    self.agency, "new-address@example.cn", make.PASSWORD
                )
                return change.token
            return self.invitation()[1]
        if endpoint == "payments.purchaser" and name == "org_id":
            return self.make_org_id_for_purchaser()
        if endpoint == "catalogue.export" and name == "kind":
            return "csv"
        if name == "lang":
            return "en"
        if name == "ocid":
            # the sealed notice's record: published, so public, and still showing no quote
            return f"{current_app.config['OCDS_PREFIX']}-{self.value(endpoint, 'notice_id')}"
        made = getattr(self, f"make_{name}")()
        self.args[name] = made
        return made

    def make_agency_id(self):
        """The owning agency (the API's agency page)."""
        return self.agency.organisation.id

    def make_question_id(self):
        """Another agency's question on the sealed quote's notice."""
        notice = db.session.get(Notice, self.value("", "notice_id"))
        return procurement.ask_question(self.users[OTHER_AGENCY], notice, "服务期限能否延长？").id

    def make_subscription_id(self):
        """The agency admin's saved search."""
        return alerts.save_search(self.agency, "环评", None, "daily").id

    def make_day(self):
        """Today's bulk download files, written now (the sealed quote placed)."""
        return bulk.write_day()["date"]

    def make_name(self):
        return "notices.csv"

    def make_item_id(self):
        return make.item("ZJ012").id

    def make_number(self):
        """A published batch of the owning department (number 1; ZJ012's version 1 too)."""
        keeper = self.users[REGULATOR]
        draft = revisions.create_item(
            {**values_from_text(ITEM_TEXT, OWNING_DEPARTMENT)}, "新增", keeper
        )
        batch = batches.publish_items(
            OWNING_DEPARTMENT, [draft.id], "第一批", clock.local_today(), keeper
        )
        return batch.number

    def make_job_id(self):
        job = CatalogueImport(
            department=OWNING_DEPARTMENT,
            filename="清单.xlsx",
            state="checked",
            rows=[{"line": 2, "code": "ZJ950"}],
            outcomes=[{"line": 2, "code": "ZJ950", "name": "", "action": "same"}],
            uploaded_by_id=self.users[REGULATOR].id,
        )
        db.session.add(job)
        db.session.flush()
        return job.id

    def make_table(self):
        return "competition"  # the table that would count the sealed quote if anything did

    def make_org_id_for_purchaser(self):
        return self.buyer.organisation.id

    def make_kind(self):
        return "agency"

    def make_org_id(self):
        return self.agency.organisation.id

    def make_offering_id(self):
        org_id = self.agency.organisation.id
        return db.session.scalar(select(Offering.id).where(Offering.agency_id == org_id))

    def make_practitioner_id(self):
        return make.practitioner(self.agency).id

    def make_user_id(self):
        return self.users[AGENCY_MEMBER].id

    def invitation(self):
        if "invitation" not in self.args:
            self.args["invitation"] = invite_member(self.agency, "invited@example.cn", "member")
        invitation, token = self.args["invitation"]
        return invitation.id, token

    def make_invitation_id(self):
        return self.invitation()[0]

    def confirmation_token(self):
        waiting = make.agency(items=())
        token = await_confirmation(waiting)
        db.session.flush()
        return token

    def unlock_token(self):
        locked = make.agency(items=())
        locked.locked_dt = utcnow()
        db.session.flush()
        return unlock_token(locked)

    def make_notification_id(self):
        org_id = self.agency.organisation.id
        notification = notify(org_id, "credit", "信用记录", "您有一条信用记录", "/credit/records/")
        db.session.flush()
        return notification.id

    def make_failure_id(self):
        failure = ListenerFailure(
            event="contract-evaluated", listener="market.agencies.listeners.rate", message="x"
        )
        db.session.add(failure)
        db.session.flush()
        return failure.id

    def make_fact_key(self):
        return "contract_unsigned_agency"

    def criterion(self):
        if "criterion" not in self.args:
            data = criteria.CriterionData(
                code="E01",
                party="agency",
                behaviour="环评报告编制质量不符合技术导则",
                severity="general",
                deduction=5,
                measure="warning",
                suspend_months=0,
                publish_months=6,
            )
            self.args["criterion"] = criteria.save_criterion(self.regulator, data).code
        return self.args["criterion"]


# --- scenes: the state a route is asked about in ----------------------------------------------


def notice_with_quotes(w, *agencies):
    """A notice of the purchaser with one quote per agency (80,000 yuan up): (notice, bids)."""
    notice = make.notice(w.buyer)
    bids = [make.bid(a, notice, 80_000_00 + i * 10_000_00) for i, a in enumerate(agencies)]
    w.args["notice_id"] = notice.id
    return notice, bids


def draft(w):
    """A draft of the purchaser's, not yet published."""
    w.args["notice_id"] = make.notice(w.buyer, publish=False).id


def failed(w):
    """Bidding closed with no quote: 流标."""
    notice = make.notice(w.buyer)
    make.close_bidding(notice)
    w.args["notice_id"] = notice.id


def closed(w):
    """Bidding closed on a direct selection: the purchaser's choice is awaited."""
    notice, _ = notice_with_quotes(w, w.agency, make.agency())
    make.close_bidding(notice)
    return notice


def publicity(w):
    """A third agency's quote selected; the agency, whose quote lost, may object."""
    notice, (winning, _) = notice_with_quotes(w, make.agency(), w.agency)
    make.close_bidding(notice)
    procurement.select_bid(w.buyer, notice, winning.id, "报价最低，业绩良好")
    return notice


def objection(w):
    """During publicity the agency objected; the objection awaits the purchaser's answer and
    the department's decision."""
    notice = publicity(w)
    filed = procurement.file_objection(w.agency, notice, "中选机构业绩造假")
    w.args["objection_id"] = filed.id


def awarded(w):
    """The agency won; publicity is over, the contract awaits both signatures."""
    notice, (winning, _) = notice_with_quotes(w, w.agency, make.agency())
    make.close_bidding(notice)
    procurement.select_bid(w.buyer, notice, winning.id, "报价最低，业绩良好")
    clock.freeze(notice.publicity_end_dt + timedelta(minutes=1))
    apply_due(notice)
    return notice


def contracted(w):
    """Both signed: the service runs, the delivery is awaited."""
    notice = awarded(w)
    procurement.sign_contract(w.buyer, notice, make.contract_pdf())
    procurement.sign_contract(w.agency, notice)
    return notice


def delivered(w):
    """The agency delivered: acceptance is awaited."""
    notice = contracted(w)
    procurement.mark_delivered(w.agency, notice, "报告书5份")
    return notice


def evaluating(w):
    """Accepted: both parties' ratings are awaited."""
    notice = delivered(w)
    procurement.accept_delivery(w.buyer, notice)
    return notice


def evaluated(w):
    """Both rated each other: the ratings are public; the purchaser's rating of the agency is
    the one replied to."""
    notice = evaluating(w)
    rating = procurement.evaluate(w.buyer, notice, make.GOOD_SCORES, "按期交付")
    procurement.evaluate(w.agency, notice, make.GOOD_SCORES, "配合顺畅")
    w.args["evaluation_id"] = rating.id


def rectifying(w):
    """The purchaser rated the agency poorly: the agency's rectification case is open."""
    notice = evaluating(w)
    procurement.evaluate(w.buyer, notice, POOR, "严重超期")
    procurement.evaluate(w.agency, notice, make.GOOD_SCORES, "配合顺畅")
    (case,) = procurement.notice_rectifications(notice)
    w.args["rectification_id"] = case.id


def reported(w):
    """The owning department reported the agency (A05, a warning); its statement is due."""
    record, _, _ = make.conduct_report(w.agency, regulator=w.regulator)
    w.args["record_id"] = record.id
    return record


def decidable(w):
    """The statement window has passed: the department decides."""
    record = reported(w)
    clock.freeze(record.response_due_dt + timedelta(minutes=1))
    return record


def confirmed(w):
    """The department confirmed the record; its disclosure is due."""
    record = decidable(w)
    records.decide(w.regulator, record.id, "confirmed", "生环信决〔2026〕1号", "事实清楚")
    return record


def disclosed(w):
    """Confirmed and disclosed: the agency may appeal (and later ask for repair)."""
    record = confirmed(w)
    records.publish(w.regulator, record.id)
    return record


def appealed(w):
    """The agency appealed: the department's review is awaited."""
    record = disclosed(w)
    appeals.appeal(w.agency, record.id, "已按期签约，系统记录有误")


def repair_requested(w):
    """After the minimum publication period the agency asked for repair."""
    record = disclosed(w)
    clock.freeze(record.repair_from_dt + timedelta(days=1))
    proof = make.contract_pdf("整改证明")
    appeals.request_repair(w.agency, record.id, "已完善签约流程", [proof])


def alert(w):
    """Bidding closed with the agency's quote alone: a single-response alert for the
    owning department."""
    notice, _ = notice_with_quotes(w, w.agency)
    make.close_bidding(notice)
    found = db.session.scalar(select(RiskAlert).where(RiskAlert.rule == "single_bid"))
    assert found.department == OWNING_DEPARTMENT
    w.args["alert_id"] = found.id


def inspection(w):
    """The owning department's plan sampling every agency of its items (the agency too)."""
    plan = create_plan(w.regulator, dict.fromkeys("ABCD", 10000))
    w.args["plan_id"] = plan.id
    org_id = w.agency.organisation.id
    w.args["inspection_id"] = next(i.id for i in plan.inspections if i.agency_org_id == org_id)


def red_listed(w):
    """The owning department put the agency on the red list."""
    data = RedListData(
        agency=w.agency.organisation.uscc,
        reason="连续三年服务评价优秀",
        decision_number="生环信激〔2026〕3号",
        bonus=3,
        months=12,
    )
    w.args["entry_id"] = add_to_red_list(w.regulator, data).id


def platform_list(w):
    """The owning department keeps the platform-wide list (and the system's facts) here."""
    w.monkeypatch.setitem(current_app.config, "CREDIT_CRITERIA_DEPARTMENT", OWNING_DEPARTMENT)


def worker_running(w):
    """A worker was seen just now (healthz answers 200)."""
    db.session.add(WorkerHeartbeat(hostname="worker-1", pid=4242, last_seen_dt=utcnow()))
    db.session.flush()


def payment_due(w):
    """The contract accepted: its one milestone (the whole fee) is due."""
    notice = evaluating(w)
    (milestone,) = payments.contract_milestones(notice.contract.id)
    assert milestone.state == "due"
    w.args["milestone_id"] = milestone.id
    return milestone


def payment_recorded(w):
    """The purchaser recorded its bank transfer; the agency's confirmation is awaited."""
    milestone = payment_due(w)
    payment = make.bank_transfer(w.buyer, milestone)
    w.args["payment_id"] = payment.id
    return milestone


def payment_disputed(w):
    """The agency disputed the recorded transfer: the department decides."""
    milestone = payment_recorded(w)
    payments.dispute_payment(w.agency, milestone, "截至今日未到账")


def payment_held(w):
    """The purchaser paid online; the funds are held (recorded as the gateway's event would)."""
    milestone = payment_due(w)
    make.held_funds(w.buyer, milestone)
    assert milestone.state == "held"


SCENES = {
    "": lambda w: None,
    "open": lambda w: None,  # the sealed quote's notice (World.seal)
    "draft": draft,
    "failed": failed,
    "closed": closed,
    "publicity": publicity,
    "objection": objection,
    "awarded": awarded,
    "contracted": contracted,
    "delivered": delivered,
    "evaluating": evaluating,
    "evaluated": evaluated,
    "rectifying": rectifying,
    "reported": reported,
    "decidable": decidable,
    "confirmed": confirmed,
    "disclosed": disclosed,
    "appealed": appealed,
    "repair requested": repair_requested,
    "alert": alert,
    "inspection": inspection,
    "red listed": red_listed,
    "platform list": platform_list,
    "worker running": worker_running,
    "payment due": payment_due,
    "payment recorded": payment_recorded,
    "payment disputed": payment_disputed,
    "payment held": payment_held,
}


# --- asking ---------------------------------------------------------------------------------------

#: what views read from a form without a form class
RAW_FIELDS = ("active", "record_ids", "evaluate", "status", "open", "refresh")


def every_field_name() -> set[str]:
    """The name of every field of every form of the application, and RAW_FIELDS."""
    names, forms = set(RAW_FIELDS), [FlaskForm]
    while forms:
        form = forms.pop()
        forms.extend(form.__subclasses__())
        names.update(name for name, value in vars(form).items() if isinstance(value, UnboundField))
    return names


def answer_of(response) -> str:
    if 300 <= response.status_code < 400:
        location = urlsplit(response.headers["Location"])
        if location.path == "/login" and "next" in parse_qs(location.query):
            return LOGIN
        return OK
    if 200 <= response.status_code < 300:
        return OK
    return {
        400: BAD_REQUEST,
        403: FORBIDDEN,
        404: NOT_FOUND,
        422: FORM_ERRORS,
        503: UNAVAILABLE,
    }.get(response.status_code, str(response.status_code))


def ask(app, user, method, url, data=None):
    """What `user` (None: a visitor) gets for `method url` (a POST sends `data`, by default
    an empty form), in a savepoint rolled back afterwards: (answer, the response's text)."""
    savepoint = db.session.begin_nested()
    try:
        client = app.test_client()
        if user is not None:
            login = client.post("/login", data={"email": user.email, "password": make.PASSWORD})
            assert login.status_code == 302, f"{user.email} could not sign in"
        response = client.open(url, method=method, data=(data or {}) if method == "POST" else None)
        # (a PDF receipt is not text: what decodes is searched for the sealed quote)
        text = response.get_data().decode("utf-8", "replace")
        response.close()  # a file sent closes here
        return answer_of(response), text
    finally:
        savepoint.rollback()
        with app.test_request_context():
            pagecache.clear()


def rules_by_endpoint(app):
    rules = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in SKIPPED:
            assert rule.endpoint not in rules, f"{rule.endpoint} has two addresses"
            rules[rule.endpoint] = rule
    return rules


def served_methods(rule):
    return set(rule.methods) - {"HEAD", "OPTIONS"}


# --- the tests ------------------------------------------------------------------------------------


def test_every_route_is_declared(app):
    served = {
        (endpoint, method)
        for endpoint, rule in rules_by_endpoint(app).items()
        for method in served_methods(rule)
    }
    declared = {(endpoint, method) for endpoint, r in ROUTES.items() for method in r.methods}
    assert sorted(served - declared) == [], "routes missing from ROUTES"
    assert sorted(declared - served) == [], "ROUTES declares routes the application lacks"


def test_every_declaration_names_all_nine_roles():
    for endpoint, route in ROUTES.items():
        assert route.scene in SCENES, endpoint
        for method, answers in route.methods.items():
            assert set(answers) == set(ROLES), f"{endpoint} {method}"


REFUSED = (LOGIN, FORBIDDEN, NOT_FOUND)


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_each_role_gets_the_declared_answer(app, monkeypatch, endpoint):
    rule = rules_by_endpoint(app).get(endpoint)
    assert rule is not None, f"{endpoint} is declared but not served"
    route = ROUTES[endpoint]
    world = World.build(monkeypatch)
    SCENES[route.scene](world)
    world.seal()
    url = rule.build({name: world.value(endpoint, name) for name in rule.arguments})[1]
    # longer than any field takes, not a number, not a choice: refused by every form
    stuffed = dict.fromkeys(every_field_name(), "x" * 5001)
    wrong, leaks = [], []
    for method, expected in route.methods.items():
        for role in ROLES:
            user = world.users.get(role)
            got, text = ask(app, user, method, url)
            if got != expected[role]:
                wrong.append(f"{method} {url} as {role}: {got}, declared {expected[role]}")
            if role not in OWN_AGENCY and any(shown in text for shown in SEALED_SHOWN):
                leaks.append(f"{method} {url} shows {role} the sealed quote")
            if method == "POST" and expected[role] in REFUSED:
                # refused whatever the form holds, not only when it is empty
                got, _ = ask(app, user, method, url, stuffed)
                if got != expected[role]:
                    wrong.append(f"POST {url} as {role} with every field filled: {got}")
    assert wrong == [], "\n".join(wrong)
    assert leaks == [], "\n".join(leaks)


def test_the_quote_looked_for_is_the_one_its_agency_sees(app, monkeypatch):
    """The sealed quote's amount and plan, written as SEALED_SHOWN has them, are on the notice
    page of the agency's own people: the search for leaks looks for the right text."""
    world = World.build(monkeypatch)
    world.seal()
    url = f"/notices/{world.args['notice_id']}"
    for role in OWN_AGENCY:
        answer, text = ask(app, world.users[role], "GET", url)
        assert answer == OK and "87,654.32" in text and SEALED_PLAN in text, role
