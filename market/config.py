"""Configuration defaults; instance/config.py, then MARKET_* env vars, override them."""

import os
import secrets
from datetime import timedelta


class DefaultConfig:
    SECRET_KEY = None  # read from instance/secret_key (created on first start) unless configured
    SQLALCHEMY_DATABASE_URI = None  # SQLite in instance/ unless configured
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Connections each app process may keep to PostgreSQL: at least one per gunicorn thread
    # (--threads 4, docs/operations.md; the pool opens them as they are needed), and half as
    # many more at a peak. A pool smaller than the threads closes connections as they come
    # back and opens new ones under load: each a new PostgreSQL backend, costing more than
    # the queries it runs.
    DB_POOL_SIZE = 8
    # PostgreSQL (psycopg): how many times a statement runs on a connection before it is
    # prepared there. The statements the busy pages and a quote run are built once with bound
    # parameters: prepared at their first run, PostgreSQL parses and plans each of them once
    # per connection instead of at every run (psycopg's default waits for the fifth).
    DB_PREPARE_THRESHOLD = 0
    WTF_I18N_ENABLED = False  # WTForms' own zh catalogue is used (see core/forms.py)
    BOOTSTRAP_SERVE_LOCAL = True  # government intranets are offline: no CDN
    BOOTSTRAP_BTN_STYLE = "primary"
    TIMEZONE = "Asia/Shanghai"
    PER_PAGE = 20
    # A list counts at most this many rows for its pager (and offers no page beyond): pages
    # cost what they show, however large the table.
    COUNT_LIMIT = 2000
    PROXY_COUNT = 0  # trusted reverse proxies in front (X-Forwarded-For); 0 = none
    BID_MIN_WORKING_DAYS = 3
    # A quote counts by when the platform received it (core/arrival.py), not when it was
    # processed: the bidding closes this many seconds after the deadline, so that the quotes
    # received before it and still being processed are stored first.
    QUOTE_GRACE_SECONDS = 10
    # A quote whose database connection drops (PostgreSQL restarted) is tried again, with the
    # moment it arrived, for up to this many seconds (core/retry.py).
    DB_RETRY_SECONDS = 20
    # A trusted proxy's X-Request-Start further than this from the local clock is ignored.
    ARRIVAL_SKEW_SECONDS = 5
    PUBLICITY_WORKING_DAYS = 3
    # Cookies: not sent along by other sites' forms (SameSite=Lax), never read by scripts;
    # Secure (HTTPS only) when the site is served over HTTPS (PREFERRED_URL_SCHEME = "https",
    # behind a TLS proxy with PROXY_COUNT set), which also turns on HSTS (core/headers.py).
    PREFERRED_URL_SCHEME = "http"
    # The site's public address (e.g. "https://zjcs.example.gov.cn"): links in mail are built
    # on it, not on the Host header of the request that sent them. None (development): the
    # request's. Set TRUSTED_HOSTS too, so that requests for any other host are refused.
    PUBLIC_URL = None
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # A login lasts this long (the browser's session cookie; "记住我" keeps it for
    # REMEMBER_COOKIE_DURATION), ended earlier by logout or a password change everywhere
    # (accounts/sessions.py).
    LOGIN_SESSION_HOURS = 12
    # This many wrong passwords in a row lock an account until the link mailed to it (valid
    # UNLOCK_LINK_HOURS) unlocks it; per-address attempts are also rate limited (RATELIMITS).
    LOGIN_LOCK_AFTER = 10
    UNLOCK_LINK_HOURS = 24
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    # Abuse limits (core/limits.py): endpoint → (methods, limits, counted per "address" or per
    # "user"). The counts live in RATELIMIT_STORAGE_URI: "memory://" (one process) unless
    # configured, e.g. MARKET_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 for several hosts.
    RATELIMITS = {
        "accounts.login": (("POST",), "10 per minute;60 per hour", "address"),
        "accounts.register": (("POST",), "5 per hour;20 per day", "address"),
        "accounts.unlock": (("GET",), "10 per hour", "address"),
        "accounts.confirm_registration": (("GET",), "10 per hour", "address"),
        "members.accept": (("POST",), "10 per hour", "address"),
        "procurement.bid": (("POST",), "20 per minute", "user"),
        "procurement.replace_bid": (("POST",), "20 per minute", "user"),
        "procurement.withdraw_bid": (("POST",), "20 per minute", "user"),
        "procurement.bid_receipt_pdf": (("GET",), "30 per minute", "user"),
        "procurement.bid_receipt_json": (("GET",), "60 per minute", "user"),
        "procurement.ask_question": (("POST",), "10 per minute;60 per day", "user"),
        "procurement.answer_question": (("POST",), "30 per minute", "user"),
        "procurement.reply_to_evaluation": (("POST",), "10 per minute", "user"),
        "procurement.award_letter": (("GET",), "30 per minute", "user"),
        "procurement.outcome_letter": (("GET",), "30 per minute", "user"),
        "procurement.contract_preview": (("GET",), "30 per minute", "user"),
        "accounts.forgot_password": (("POST",), "5 per minute;20 per hour", "address"),
        "accounts.reset_password": (("POST",), "5 per minute;20 per hour", "address"),
        "accounts.change_password": (("POST",), "5 per minute;20 per hour", "user"),
        "accounts.change_email": (("POST",), "5 per minute;20 per hour", "user"),
        "accounts.confirm_email": (("GET",), "10 per hour", "address"),
        "members.org_data": (("POST",), "20 per minute", "user"),
        "alerts.save_search": (("POST",), "30 per minute", "user"),
        "alerts.follow_item": (("POST",), "30 per minute", "user"),
        "alerts.follow_notice": (("POST",), "30 per minute", "user"),
        "catalogue.edit_contract_model": (("POST",), "20 per minute", "user"),
        "procurement.reconfirm": (("POST",), "20 per minute", "user"),
        "credit.blacklist_csv": (("GET",), "60 per minute", "address"),
        "credit.blacklist_json": (("GET",), "60 per minute", "address"),
        "credit.disclosures_csv": (("GET",), "60 per minute", "address"),
        "credit.disclosures_json": (("GET",), "60 per minute", "address"),
        "credit.redlist_csv": (("GET",), "60 per minute", "address"),
        "credit.redlist_json": (("GET",), "60 per minute", "address"),
        "statistics.data_json": (("GET",), "60 per minute", "address"),
        "statistics.table_csv": (("GET",), "60 per minute", "address"),
        "ocds.releases": (("GET",), "60 per minute", "address"),
        "ocds.records": (("GET",), "60 per minute", "address"),
        "ocds.one_record": (("GET",), "60 per minute", "address"),
        "auditpack.pack": (("GET",), "30 per minute", "address"),
        "auditpack.chain_heads": (("GET",), "60 per minute", "address"),
        "opendata.file": (("GET",), "60 per minute", "address"),
        # The JSON API: every operation of /api/v1/ (opendata/v1), counted per address.
        **{
            f"api{name}": (("GET",), "120 per minute;3000 per hour", "address")
            for name in (
                "-docs.openapi_json",
                "_index.index",
                "_notices.notices",
                "_notices.notice",
                "_notices.results",
                "_notices.contracts",
                "_agencies.agencies",
                "_agencies.agency",
                "_catalogue.items",
                "_catalogue.item",
                "_catalogue.versions",
                "_credit.disclosures",
                "_statistics.statistics",
            )
        },
    }
    HSTS_SECONDS = 31_536_000  # a year, once served over HTTPS
    PASSWORD_MIN_LENGTH = 8
    # zxcvbn's estimate (0–4) a new password needs: 2 is "safe from guessing online", where
    # the lock after LOGIN_LOCK_AFTER wrong passwords and the rate limits are; 3 would refuse
    # every 8-character password, however random, contradicting the length the rule announces.
    PASSWORD_MIN_SCORE = 2
    # A password reset link is valid this long and works once; an e-mail change's
    # confirmation link (sent to the new address) this long.
    PASSWORD_RESET_MINUTES = 30
    EMAIL_CHANGE_LINK_HOURS = 24
    PASSWORD_HASH_METHOD = "scrypt"
    UPLOAD_FOLDER = None  # instance/uploads unless configured
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    # Files chosen on a form shown again after an error are held this long for it (hours)
    HELD_UPLOAD_HOURS = 24
    # A request may carry one file at the limit plus its form fields.
    MAX_CONTENT_LENGTH = 11 * 1024 * 1024
    INVITATION_VALID_DAYS = 7
    # A registration is confirmed by a link mailed to its address, valid this many days; the
    # same page answers whether or not the address had an account (nothing to enumerate).
    REGISTRATION_CONFIRM_DAYS = 3
    MAIL_BACKEND = "file"  # "file" writes .eml files to MAIL_FOLDER; "memory" keeps them (tests)
    MAIL_FOLDER = None  # instance/mail unless configured
    MAIL_SENDER = "网上中介超市 <noreply@market.local>"  # i18n: data
    DIRECT_SELECTION_MAX_FEN = 100_000_00  # direct selection for fiscal funds below ¥100,000
    MIN_FISCAL_RESPONSES = 3  # fiscal-funded notices need this many eligible responses
    MEAN_PRICE_MIN_QUOTES = 5  # mean-price drops the highest and lowest: needs this many
    MEAN_PRICE_K_RANGE = (0.95, 0.98)
    CREDIT_MIN_REGISTRANTS = 2
    CONTRACT_SIGN_WORKING_DAYS = 5
    ACCEPTANCE_WORKING_DAYS = 10  # then the deliverable is accepted automatically
    EVALUATION_WORKING_DAYS = 3  # double-blind: both shown when both are in or this ends
    DEADLINE_REMINDER_WORKING_DAYS = 1
    # Payments (docs/payments.md). A milestone is due this many working days after its event
    # unless the notice says otherwise; unpaid past its due date the purchaser is reminded,
    # and after PAYMENT_REPORT_WORKING_DAYS more it is reported under the late-payment
    # criterion (credit's mapping of the fact "payment_late").
    PAYMENT_DUE_WORKING_DAYS = 10
    PAYMENT_REPORT_WORKING_DAYS = 5
    # Online payment (资金托管) through Stripe when STRIPE_SECRET_KEY is set; otherwise offline
    # bank transfers recorded by the purchaser and confirmed by the agency.
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    # Where the SDK sends its requests (None: Stripe's own); a local stand-in in tests.
    STRIPE_API_BASE = None
    STRIPE_TIMEOUT_SECONDS = 20
    PAYMENT_CURRENCY = "cny"
    # Stripe Connect: the country of the agencies' connected (Express) accounts.
    STRIPE_CONNECT_COUNTRY = "CN"
    # A page applies the deadlines of at most this many of the notices it shows, its first rows
    # (the worker applies the rest within seconds; a page never catches up on the whole
    # system's work). Each can run a selection (~25 statements): 5 keep the worst list page
    # under 100 ms on PostgreSQL (benchmarks/request_path.py).
    DUE_ON_READ_LIMIT = 5
    # The home page's live figures are counted at most this often per process (seconds).
    LIVE_FIGURES_SECONDS = 30
    # Statistics (docs/statistics.md). The platform's home region: an agency whose stated
    # region does not begin with it counts as from outside (零门槛: any lawful agency may
    # register, wherever it is). The figures of a set of filters are counted once per version
    # of the data and kept per process, at most this many (0: counted at every request).
    HOME_REGION = "重庆市"  # i18n: data
    STATISTICS_CACHE_ENTRIES = 200
    # A notice's public page is rendered once per version of the notice for visitors not
    # signed in and kept at most this long (core/pagecache.py; 0 = render every time), at
    # most PUBLIC_PAGE_ENTRIES pages per process.
    PUBLIC_PAGE_SECONDS = 60
    PUBLIC_PAGE_ENTRIES = 1000
    # Open data (docs/opendata.md). OCDS: each notice's ocid is OCDS_PREFIX + "-" + its id; the
    # prefix is the one registered with the Open Contracting Partnership (ocds-xxxxxx until
    # then); the packages name OCDS_PUBLISHER and, if set, OCDS_LICENSE (a URL).
    OCDS_PREFIX = "ocds-xxxxxx-market"
    OCDS_PUBLISHER = "网上中介超市"  # i18n: data
    OCDS_LICENSE = ""
    # Bulk downloads (docs/opendata.md): the day's files are written once a day into
    # OPENDATA_FOLDER/<date> (instance/opendata unless set; hosts serving /opendata/ should
    # share it) and the last OPENDATA_KEEP_DAYS days are kept.
    OPENDATA_FOLDER = None
    OPENDATA_KEEP_DAYS = 7
    # Subscriptions (docs/alerts.md): the daily digest of new matching notices is sent after
    # this time of day (Beijing time).
    ALERT_DIGEST_AT = "07:30"
    # The JSON API /api/v1/ (docs/opendata.md): its OpenAPI document is generated from the
    # code by flask-smorest at OPENAPI_URL_PREFIX + OPENAPI_JSON_PATH.
    API_TITLE = "网上中介超市开放数据接口"  # i18n: data
    API_VERSION = "1.0"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # Credit (docs/design.md §7)
    # The department that keeps the platform-wide violation criteria (the starting list, and
    # which criterion the system's own facts are reported under); other departments keep the
    # criteria they add. Regulators' organisations name their department the same way.
    CREDIT_CRITERIA_DEPARTMENT = "发展改革部门"  # i18n: data
    CREDIT_RESPONSE_WORKING_DAYS = 3  # the party's statement (陈述申辩) after a report
    CREDIT_PUBLISH_WORKING_DAYS = 7  # a confirmed record is disclosed (双公示) within this
    CREDIT_APPEAL_WORKING_DAYS = 15  # appeal (复核) after the decision
    # Minimum publication before a repair (信用修复) may be asked for, by severity, in months
    # (2025 NDRC credit-repair measures: general 3 months, serious 1 year); capped at the
    # criterion's publication period.
    CREDIT_MIN_PUBLICATION_MONTHS = {"general": 3, "major": 3, "serious": 12}
    CREDIT_EVALUATION_MONTHS = 12  # evaluations counted in the score
    CREDIT_RED_LIST_BONUS = 5
    CREDIT_POOR_EVALUATION = 60  # an evaluation below this (of 100) is reported (A13)
    INSPECTION_RATES = {"A": 0.05, "B": 0.10, "C": 0.20, "D": 1.00}
    SEARCH_INDEX_DIR = None  # instance/search unless configured
    # "whoosh": a file index per host (the embedded default); "postgres": tsvector columns in
    # the database, shared by every host (docs/operations.md says when to switch)
    SEARCH_BACKEND = "whoosh"
    # The background worker (`flask market worker`): seconds between two rounds of each task;
    # a round that finds work is followed by another at once.
    WORKER_INTERVALS = {
        "search": 0.5,  # index committed changes (searchable within about a second)
        "mail": 1,  # send the mail outbox
        "deadlines": 2,  # apply due notice deadlines
        "reminders": 60,  # remind parties of deadlines within a working day
        "qualifications": 60,  # expire qualifications past their valid-until date
        "held-uploads": 3600,  # delete files held for a form not saved within HELD_UPLOAD_HOURS
        "credit-expiries": 60,  # recompute agencies whose records or entries expired
        "credit-nightly": 300,  # looks whether the nightly credit run is due
        "login-sessions": 3600,  # delete login sessions ended or expired a day ago
        "arrival-journal": 3600,  # delete quote arrival journals untouched for days
        "payments": 60,  # milestones falling due, overdue or to be reported as late
        "payments-reconcile": 3600,  # looks whether the daily reconciliation with Stripe is due
        "catalogue": 60,  # catalogue changes and batches whose effective date has come; imports
        "opendata-bulk": 300,  # looks whether today's bulk download files are written
        "alerts": 60,  # new notices matched to subscriptions; closing reminders; the digest
    }
    # Quotes received and not yet answered, on disk (procurement/arrivals.py): instance/arrivals
    # unless set (hosts that share the quoting should share it); kept ARRIVAL_JOURNAL_DAYS
    ARRIVAL_JOURNAL_FOLDER = None
    ARRIVAL_JOURNAL_DAYS = 2
    CREDIT_NIGHTLY_AT = "01:30"  # local time after which the nightly credit run starts
    # Each worker process records a heartbeat after a round, at most this often (seconds);
    # /healthz answers 503 when no worker has been seen for HEALTH_WORKER_STALE_SECONDS.
    WORKER_HEARTBEAT_SECONDS = 5
    HEALTH_WORKER_STALE_SECONDS = 120
    # Logs: one JSON object per line on stderr, at LOG_LEVEL and above (core/logs.py); not
    # set up when TESTING (pytest's capture keeps the records).
    LOG_JSON = True
    LOG_LEVEL = "INFO"
    # Risk alerts: two quotes on one notice within this many basis points (1/100 %) of the
    # lower one are "near-identical" (50 = 0.5%)
    RISK_NEAR_QUOTE_BP = 50
    # The end-to-end tests' hooks (core/testing_hooks.py: move the clock, run the worker's
    # tasks), only with TESTING. Never set in a deployment.
    TESTING_HOOKS = False


def load_config(app, test_config=None):
    """Fill app.config: defaults → instance/config.py → MARKET_* env vars → test_config."""
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="MARKET")
    if test_config:
        app.config.update(test_config)
    if app.config["PREFERRED_URL_SCHEME"] == "https":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    _private_folder(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        path = os.path.join(app.instance_path, "market.sqlite3")
        if os.path.exists(path):
            os.chmod(path, 0o600)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("pool_size", app.config["DB_POOL_SIZE"])
        options.setdefault("max_overflow", app.config["DB_POOL_SIZE"] // 2)
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg:"):
            connect_args = dict(options.get("connect_args", {}))
            connect_args.setdefault("prepare_threshold", app.config["DB_PREPARE_THRESHOLD"])
            options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    if app.config["TESTING_HOOKS"] and not app.config["TESTING"]:
        raise RuntimeError("TESTING_HOOKS is for the end-to-end tests only (with TESTING)")


def _private_folder(path):
    """The instance folder (secret key, database, uploads, index) readable by its owner only:
    other accounts on the machine read nothing in it."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def _instance_secret(instance_path):
    # A per-installation key, so a fresh checkout is never served with a known key; written
    # readable by its owner only.
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    os.chmod(path, 0o600)
    with open(path) as fh:
        return fh.read().strip()
