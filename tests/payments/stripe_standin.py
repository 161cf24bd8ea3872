"""A local HTTP stand-in for the Stripe API, for tests that drive the REAL ``stripe`` SDK.

The SDK is pointed at the stand-in through ``base_addresses`` (see :func:`client_for`); nothing
leaves 127.0.0.1. The stand-in keeps Checkout Sessions, PaymentIntents, Charges, Connect
accounts, account links, Transfers and Refunds in memory and answers with Stripe-shaped JSON,
so the SDK builds its real objects and raises its real exceptions.

What it checks the way Stripe does:

* every parameter against the SDK's own typed ``stripe.params`` definitions: an unknown
  (mistyped) parameter is a 400 ``parameter_unknown``, a missing required one a 400
  ``parameter_missing``, as Stripe answers; request options such as ``idempotency_key`` passed
  inside ``params`` are refused the same way, since the SDK would send them as form fields;
* the ``Idempotency-Key`` of a POST: the same key replays the first answer byte for byte (with
  ``Idempotent-Replayed: true``) and creates nothing; the same key with other parameters is a 400
  ``idempotency_error`` (``stripe.IdempotencyError``);
* test-mode API keys only (``sk_test_``/``rk_test_``), else 401 (``stripe.AuthenticationError``).

Test controls simulate Stripe's side: :meth:`StripeStandin.complete_checkout` (the customer
pays, or the card is declined), :meth:`StripeStandin.onboard` (the provider finishes Connect
onboarding), :meth:`StripeStandin.fail_next` (a 500, a dropped connection or a timeout),
:meth:`StripeStandin.event` with :func:`sign`/:func:`webhook_body` for webhooks.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import hmac
import importlib
import json
import re
import secrets
import string
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

API_VERSION = stripe.api_version
_ALNUM = string.ascii_letters + string.digits
# Request options: valid in ``options=``, never as API parameters.
_OPTION_KEYS = frozenset(
    {
        "api_key",
        "stripe_version",
        "stripe_account",
        "stripe_context",
        "max_network_retries",
        "idempotency_key",
        "content_type",
        "headers",
    }
)
_DEFAULT_CURRENCY = {"US": "usd", "CN": "cny", "HK": "hkd", "SG": "sgd", "GB": "gbp", "JP": "jpy"}
_REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def client_for(standin: StripeStandin, api_key: str = "sk_test_standin", timeout: float = 2):
    """A ``StripeClient`` built the way production builds it, pointed at ``standin``.

    ``stripe.RequestsClient`` is the SDK's default sync HTTP client (``requests`` is a dependency
    of ``stripe``); ``timeout`` is its per-request socket timeout in seconds (a float, or a
    ``(connect, read)`` tuple). A timed-out request raises ``stripe.APIConnectionError``.
    """
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": standin.url, "connect": standin.url, "files": standin.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends with ``payload``: ``t=TS,v1=HEX``."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    text = payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload
    mac = hmac.new(secret.encode("utf-8"), f"{ts}.{text}".encode(), hashlib.sha256)
    return f"t={ts},v1={mac.hexdigest()}"


def webhook_body(event: dict) -> bytes:
    """The raw body Stripe posts for ``event`` (pretty-printed JSON, as Stripe sends it)."""
    return json.dumps(event, indent=2).encode("utf-8")


def signed_webhook(
    event: dict, secret: str, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """``(body, headers)`` ready for ``client.post(url, data=body, headers=headers)``."""
    body = webhook_body(event)
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": sign(body, secret, timestamp),
    }
    return body, headers


@contextmanager
def standin(**kwargs: Any) -> Iterator[StripeStandin]:
    """A started :class:`StripeStandin`, stopped on exit."""
    server = StripeStandin(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Recorded:
    """One request as the stand-in received it."""

    method: str
    path: str
    params: dict
    idempotency_key: str | None
    api_key: str | None
    stripe_account: str | None
    request_id: str
    status: int | None = None  # None: no answer was sent (injected timeout or disconnect)
    replayed: bool = False  # answered from the idempotency cache


class ErrorAnswer(Exception):
    """An error answer in Stripe's shape; ``stored`` says whether an idempotent retry replays it
    (Stripe keeps no result for requests that fail parameter validation)."""

    def __init__(self, status, message, *, type="invalid_request_error", code=None, param=None):
        super().__init__(message)
        self.status = status
        self.error = {"type": type, "message": message}
        if code:
            self.error["code"] = code
            self.error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.error["param"] = param
        self.stored = True

    def body(self) -> dict:
        return {"error": dict(self.error)}


def _invalid(param, message, code=None, *, stored=True) -> ErrorAnswer:
    err = ErrorAnswer(400, message, code=code, param=param)
    err.stored = stored
    return err


def _missing(param) -> ErrorAnswer:
    return _invalid(param, f"Missing required param: {param}.", "parameter_missing", stored=False)


def _no_such(kind, ident, param, status=400) -> ErrorAnswer:
    return ErrorAnswer(status, f"No such {kind}: '{ident}'", code="resource_missing", param=param)


def _rand(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


# ---------------------------------------------------------------- form-encoded parameters


def parse_params(pairs: list[tuple[str, str]]) -> dict:
    """Nest Stripe's form keys: ``line_items[0][price_data][unit_amount]`` -> dicts and lists."""
    root: dict = {}
    for raw_key, value in pairs:
        match = re.match(r"^([^\[]+)(.*)$", raw_key)
        if not match:
            continue
        parts = [match.group(1), *re.findall(r"\[([^\]]*)\]", match.group(2))]
        node = root
        for i, part in enumerate(parts):
            if part == "":  # ``expand[]=``: append
                part = str(len(node))
            if i == len(parts) - 1:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
    return _listify(root, None)


def _listify(node: Any, key: str | None) -> Any:
    if not isinstance(node, dict):
        return node
    out = {k: _listify(v, k) for k, v in node.items()}
    if out and key is not None and key != "metadata" and all(k.isdigit() for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out


def _params_class(name: str | None):
    """``stripe.params`` TypedDict by dotted name (``"checkout.SessionCreateParams"``)."""
    if not name:
        return None
    module, _, cls = name.rpartition(".")
    try:
        mod = importlib.import_module("stripe.params" + (f".{module}" if module else ""))
        return getattr(mod, cls)
    except (ImportError, AttributeError):  # another SDK layout: skip the check
        return None


def _is_typed_dict(obj: Any) -> bool:
    return isinstance(obj, type) and hasattr(obj, "__required_keys__")


def _nested(annotation: Any, td: type) -> tuple[type | None, bool]:
    """The nested params TypedDict an annotation refers to, and whether it is a ``Dict[str, TD]``
    (free keys, each value a TD)."""
    text = repr(annotation)
    module = sys.modules.get(td.__module__)
    names = set(re.findall(r"\b([A-Z][A-Za-z0-9]*Params[A-Za-z0-9]*)\b", text))
    found = [getattr(module, n, None) for n in names]
    found = [f for f in found if _is_typed_dict(f)]
    if len(found) != 1:
        return None, False
    return found[0], bool(re.search(r"Dict\[str,\s*['\"]?[A-Z]\w*Params", text))


def check_params(params: Any, td: type, prefix: str = "") -> None:
    """Refuse unknown and missing parameters as Stripe does, using the SDK's TypedDicts."""
    if not isinstance(params, dict):
        return
    annotations = td.__annotations__
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key not in annotations or (not prefix and key in _OPTION_KEYS):
            known = [k for k in annotations if prefix or k not in _OPTION_KEYS]
            hint = difflib.get_close_matches(key, known, n=1)
            message = f"Received unknown parameter: {name}"
            if hint:
                message += f". Did you mean {hint[0]}?"
            raise _invalid(name, message, "parameter_unknown", stored=False)
        nested, is_map = _nested(annotations[key], td)
        if nested is None or value == "":
            continue
        if is_map and isinstance(value, dict):
            for sub_key, sub in value.items():
                check_params(sub, nested, f"{name}[{sub_key}]")
        elif isinstance(value, dict):
            check_params(value, nested, name)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                check_params(item, nested, f"{name}[{i}]")
    for key in sorted(td.__required_keys__ - _OPTION_KEYS):
        if key not in params:
            raise _missing(f"{prefix}[{key}]" if prefix else key)


def _int(params: dict, key: str, *, minimum: int | None = None, name: str | None = None):
    name = name or key
    raw = params.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _invalid(name, f"Invalid integer: {raw}", "parameter_invalid_integer") from None
    if minimum is not None and value < minimum:
        raise _invalid(
            name,
            f"This value must be greater than or equal to {minimum}.",
            "parameter_invalid_integer",
        )
    return value


def _bool(raw: Any) -> bool:
    return str(raw).lower() == "true"


def _metadata(raw: Any, name: str = "metadata") -> dict:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise _invalid(name, f"Invalid object: {name} must be a hash of key-value pairs.")
    if len(raw) > 50:
        raise _invalid(name, "Metadata can have up to 50 keys.")
    for key, value in raw.items():
        if len(key) > 40 or len(str(value)) > 500:
            raise _invalid(
                f"{name}[{key}]",
                "Metadata keys can be up to 40 characters and values up to 500 characters.",
            )
    return {k: str(v) for k, v in raw.items() if v != ""}


def _money(amount: int, currency: str) -> str:
    return f"{currency.upper()} {amount / 100:.2f}"


# ---------------------------------------------------------------- the stand-in


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StripeStandin

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError | TimeoutError):
            return  # the client went away (e.g. it timed out first)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 30  # a stuck client cannot hold a handler thread for ever
    server_version = "stripe-standin"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.server.standin._serve(self, "GET")

    def do_POST(self):
        self.server.standin._serve(self, "POST")

    def do_DELETE(self):
        self.server.standin._serve(self, "DELETE")


@dataclass
class _Failure:
    prefix: str
    status: int | str
    method: str | None
    processed: bool
    stall: float | None


class StripeStandin:
    """In-memory Stripe on ``http://127.0.0.1:<free port>``, served from a daemon thread.

    ``now`` gives the Unix time used for ``created`` (pass the app's clock to align them);
    ``stall_seconds`` is how long an injected ``"timeout"`` holds the request: keep it above the
    client's timeout. ``api_key``, if set, is the only key accepted.
    """

    ROUTES: list[tuple[str, str, str, str | None]] = [
        ("POST", r"/v1/checkout/sessions", "_create_session", "checkout.SessionCreateParams"),
        ("GET", r"/v1/checkout/sessions", "_list_sessions", "checkout.SessionListParams"),
        (
            "GET",
            r"/v1/checkout/sessions/(?P<id>[^/]+)",
            "_get_session",
            "checkout.SessionRetrieveParams",
        ),
        (
            "GET",
            r"/v1/checkout/sessions/(?P<id>[^/]+)/line_items",
            "_session_line_items",
            "checkout.SessionListLineItemsParams",
        ),
        (
            "POST",
            r"/v1/checkout/sessions/(?P<id>[^/]+)/expire",
            "_expire_session",
            "checkout.SessionExpireParams",
        ),
        (
            "GET",
            r"/v1/payment_intents/(?P<id>[^/]+)",
            "_get_payment_intent",
            "PaymentIntentRetrieveParams",
        ),
        ("GET", r"/v1/charges/(?P<id>[^/]+)", "_get_charge", "ChargeRetrieveParams"),
        ("POST", r"/v1/accounts", "_create_account", "AccountCreateParams"),
        ("GET", r"/v1/accounts/(?P<id>[^/]+)", "_get_account", "AccountRetrieveParams"),
        ("POST", r"/v1/account_links", "_create_account_link", "AccountLinkCreateParams"),
        ("POST", r"/v1/transfers", "_create_transfer", "TransferCreateParams"),
        ("GET", r"/v1/transfers", "_list_transfers", "TransferListParams"),
        ("GET", r"/v1/transfers/(?P<id>[^/]+)", "_get_transfer", "TransferRetrieveParams"),
        ("POST", r"/v1/refunds", "_create_refund", "RefundCreateParams"),
        ("GET", r"/v1/refunds", "_list_refunds", "RefundListParams"),
        ("GET", r"/v1/refunds/(?P<id>[^/]+)", "_get_refund", "RefundRetrieveParams"),
    ]
    _KINDS = {
        "cs_": ("checkout.session", "sessions"),
        "pi_": ("payment_intent", "payment_intents"),
        "ch_": ("charge", "charges"),
        "acct_": ("account", "accounts"),
        "tr_": ("transfer", "transfers"),
        "re_": ("refund", "refunds"),
    }

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.time,
        stall_seconds: float = 3.0,
        api_key: str | None = None,
    ):
        self.now = now
        self.stall_seconds = stall_seconds
        self.api_key = api_key
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes = [
            (method, re.compile(pattern + r"/?\Z"), handler, _params_class(params))
            for method, pattern, handler, params in self.ROUTES
        ]
        self.reset()

    # ------------------------------------------------------------ lifecycle

    def reset(self) -> None:
        """Forget every object, request, idempotency key and pending failure."""
        with self._lock:
            self.sessions: dict[str, dict] = {}
            self.payment_intents: dict[str, dict] = {}
            self.charges: dict[str, dict] = {}
            self.accounts: dict[str, dict] = {}
            self.transfers: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.account_links: list[dict] = []
            self.requests: list[Recorded] = []
            self.errors: list[str] = []  # tracebacks of stand-in bugs (answered as 500)
            self._line_items: dict[str, list[dict]] = {}
            self._pi_data: dict[str, dict] = {}
            self._idempotent: dict[str, tuple[tuple, int, bytes]] = {}
            self._failures: list[_Failure] = []

    def start(self) -> StripeStandin:
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(("127.0.0.1", 0), _Handler)
            self._server.standin = self
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="stripe-standin",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes any stalled ("timeout") handler
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> StripeStandin:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Stripe stand-in is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------ test controls

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        """Recorded requests, optionally only one method and/or paths starting with ``path``."""
        return [
            r
            for r in list(self.requests)
            if (method is None or r.method == method.upper())
            and (path is None or r.path.startswith(path))
        ]

    def get(self, object_id: str) -> dict:
        """A copy of any stored object by id."""
        with self._lock:
            found = self._find(object_id)
            if found is None:
                raise KeyError(object_id)
            return copy.deepcopy(found)

    def fail_next(
        self,
        path_prefix: str,
        status: int | str = 500,
        *,
        method: str | None = None,
        processed: bool = False,
        stall: float | None = None,
    ) -> None:
        """Make the next request to a path starting with ``path_prefix`` (and of ``method``,
        if given) fail: ``status`` an HTTP status (an error JSON: 500 -> ``stripe.APIError``,
        429 -> ``stripe.RateLimitError``), ``"timeout"`` (no answer for ``stall`` or
        ``stall_seconds`` seconds -> ``stripe.APIConnectionError`` once the client times out) or
        ``"disconnect"`` (connection closed without an answer -> ``stripe.APIConnectionError``).

        ``processed=False``: Stripe never saw the request; nothing is created or remembered for
        its Idempotency-Key. ``processed=True``: Stripe carried it out and remembered the answer,
        but the client does not get it: a retry with the same key replays the object.
        """
        if not (isinstance(status, int) or status in ("timeout", "disconnect")):
            raise ValueError(f"status must be an HTTP status, 'timeout' or 'disconnect': {status}")
        with self._lock:
            self._failures.append(
                _Failure(path_prefix, status, method and method.upper(), processed, stall)
            )

    def complete_checkout(self, session_id: str, declined: bool = False) -> dict:
        """The customer pays on the Checkout page (or the card is declined).

        Paid: a succeeded PaymentIntent (metadata, transfer_group, description from
        ``payment_intent_data``) with a succeeded Charge; the session turns complete/paid and
        links the PaymentIntent. Declined: the PaymentIntent is created (or reused) with status
        ``requires_payment_method`` and ``last_payment_error``, a failed Charge, and the session
        stays open/unpaid but already links the PaymentIntent, as Stripe does once an attempt is
        made. A later call on the same session reuses that PaymentIntent.

        Returns copies: ``{"session", "payment_intent", "charge", "success_url"}`` where
        ``success_url`` has ``{CHECKOUT_SESSION_ID}`` filled in (None when declined).
        """
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"{session_id} is {session['status']}, not open")
            now = int(self.now())
            data = self._pi_data.get(session_id, {})
            intent = self.payment_intents.get(session["payment_intent"] or "")
            if intent is None:
                intent = self._new_payment_intent(session, data, now)
            charge = self._new_charge(intent, now, declined)
            intent["latest_charge"] = charge["id"]
            session["payment_intent"] = intent["id"]
            success_url = None
            if declined:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": "Your card was declined.",
                    "charge": charge["id"],
                    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                }
            else:
                intent["status"] = "succeeded"
                intent["amount_received"] = intent["amount"]
                intent["last_payment_error"] = None
                session.update(
                    status="complete",
                    payment_status="paid",
                    url=None,
                    customer_details={
                        "email": session["customer_email"] or "buyer@example.test",
                        "name": "Test Buyer",
                        "phone": None,
                        "address": None,
                        "tax_exempt": "none",
                        "tax_ids": [],
                    },
                )
                if session["success_url"]:
                    success_url = session["success_url"].replace(
                        "{CHECKOUT_SESSION_ID}", session_id
                    )
            return copy.deepcopy(
                {
                    "session": session,
                    "payment_intent": intent,
                    "charge": charge,
                    "success_url": success_url,
                }
            )

    def expire_checkout(self, session_id: str) -> dict:
        """The session's 24 hours run out without payment."""
        with self._lock:
            return copy.deepcopy(self._expire(self.sessions[session_id]))

    def onboard(self, account_id: str) -> dict:
        """The provider finishes Connect onboarding: charges, payouts, details all true."""
        with self._lock:
            account = self.accounts[account_id]
            capabilities = account["capabilities"] or {"transfers": "inactive"}
            account.update(
                charges_enabled=True,
                payouts_enabled=True,
                details_submitted=True,
                capabilities={name: "active" for name in capabilities},
            )
            account["requirements"].update(
                currently_due=[], eventually_due=[], past_due=[], disabled_reason=None
            )
            return copy.deepcopy(account)

    def event(self, type: str, obj: Any) -> dict:
        """A Stripe event around ``obj`` (a dict, an SDK object, or the id of a stored object)."""
        if isinstance(obj, str):
            obj = self.get(obj)
        elif hasattr(obj, "to_dict"):
            obj = obj.to_dict(for_json=True)
        else:
            obj = copy.deepcopy(obj)
        return {
            "id": f"evt_{_rand(24)}",
            "object": "event",
            "api_version": API_VERSION,
            "created": int(self.now()),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }

    # ------------------------------------------------------------ HTTP plumbing

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(handler.path)
        path = split.path
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode("utf-8") if length else ""
        pairs = parse_qsl(split.query, keep_blank_values=True)
        pairs += parse_qsl(raw, keep_blank_values=True)
        params = parse_params(pairs)
        key = handler.headers.get("Idempotency-Key")
        auth = handler.headers.get("Authorization") or ""
        record = Recorded(
            method=method,
            path=path,
            params=params,
            idempotency_key=key,
            api_key=auth[len("Bearer ") :] if auth.startswith("Bearer ") else None,
            stripe_account=handler.headers.get("Stripe-Account"),
            request_id=f"req_{_rand(14)}",
        )
        with self._lock:
            self.requests.append(record)
            failure = self._take_failure(method, path)
        if failure and not failure.processed:
            self._fail(handler, record, failure)
            return
        status, body, replayed = self._answer(record)
        if failure:
            self._fail(handler, record, failure)
            return
        record.status, record.replayed = status, replayed
        self._send(handler, record, status, body, replayed)

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for i, failure in enumerate(self._failures):
            if path.startswith(failure.prefix) and failure.method in (None, method):
                return self._failures.pop(i)
        return None

    def _fail(self, handler, record: Recorded, failure: _Failure) -> None:
        if failure.status == "timeout":
            stall = self.stall_seconds if failure.stall is None else failure.stall
            self._stopping.wait(stall)
            handler.close_connection = True
            return
        if failure.status == "disconnect":
            handler.close_connection = True
            return
        status = int(failure.status)
        if status == 429:
            err = ErrorAnswer(
                429,
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            )
        elif status >= 500:
            err = ErrorAnswer(
                status,
                "An unknown error occurred (injected by the Stripe stand-in).",
                type="api_error",
            )
        else:
            err = ErrorAnswer(status, f"Injected error {status} from the Stripe stand-in.")
        record.status = status
        self._send(handler, record, status, json.dumps(err.body()).encode(), False)

    def _send(self, handler, record: Recorded, status: int, body: bytes, replayed: bool) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.send_header("Request-Id", record.request_id)
            handler.send_header("Stripe-Version", API_VERSION)
            if record.idempotency_key:
                handler.send_header("Idempotency-Key", record.idempotency_key)
            if replayed:
                handler.send_header("Idempotent-Replayed", "true")
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first

    def _route(self, method: str, path: str):
        for route_method, pattern, name, params_class in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                return name, params_class, match
        return None

    def _answer(self, record: Recorded) -> tuple[int, bytes, bool]:
        """Route, authenticate, replay or run one request: ``(status, body, replayed)``."""
        method, path, params = record.method, record.path, record.params
        route = self._route(method, path)
        if route is None:
            err = ErrorAnswer(
                404,
                f"Unrecognized request URL ({method}: {path}). The Stripe stand-in does not "
                "model this endpoint (tests/payments/stripe_standin.py).",
            )
            return 404, json.dumps(err.body()).encode(), False
        name, params_class, match = route
        try:
            self._authenticate(record.api_key)
        except ErrorAnswer as err:
            return err.status, json.dumps(err.body()).encode(), False
        key = record.idempotency_key if method == "POST" else None
        fingerprint = (method, path, json.dumps(params, sort_keys=True))
        with self._lock:
            if key and key in self._idempotent:
                first, status, body = self._idempotent[key]
                if first != fingerprint:
                    err = ErrorAnswer(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                    return 400, json.dumps(err.body()).encode(), False
                return status, body, True
            try:
                if params_class is not None:
                    check_params(params, params_class)
                result = copy.deepcopy(getattr(self, name)(params, **match.groupdict()))
                for expand in params.get("expand") or []:
                    self._expand(result, expand.split("."), expand)
                status, body, stored = 200, json.dumps(result).encode(), True
            except ErrorAnswer as err:
                status, body, stored = err.status, json.dumps(err.body()).encode(), err.stored
            except Exception:  # a bug in the stand-in: say so loudly
                self.errors.append(traceback.format_exc())
                err = ErrorAnswer(
                    500,
                    "The Stripe stand-in crashed; see standin.errors.",
                    type="api_error",
                )
                status, body, stored = 500, json.dumps(err.body()).encode(), False
            if key and stored:
                self._idempotent[key] = (fingerprint, status, body)
            return status, body, False

    def _authenticate(self, api_key: str | None) -> None:
        if not api_key:
            raise ErrorAnswer(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_"
                "SECRET_KEY').",
            )
        if not api_key.startswith(("sk_test_", "rk_test_")) or (
            self.api_key is not None and api_key != self.api_key
        ):
            shown = api_key[:8] + "*" * max(len(api_key) - 12, 0) + api_key[-4:]
            raise ErrorAnswer(401, f"Invalid API Key provided: {shown}", code="api_key_invalid")

    def _find(self, object_id: str) -> dict | None:
        for prefix, (_, store) in self._KINDS.items():
            if object_id.startswith(prefix):
                return getattr(self, store).get(object_id)
        return None

    def _expand(self, obj: Any, parts: list[str], full: str) -> None:
        if not parts or not isinstance(obj, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and obj.get("object") == "list":
            for item in obj["data"]:
                self._expand(item, rest, full)
            return
        if head == "line_items" and obj.get("object") == "checkout.session":
            obj[head] = self._line_item_list(obj["id"], {})
        elif head not in obj or not (obj[head] is None or isinstance(obj[head], str | dict)):
            raise _invalid("expand", f"This property cannot be expanded ({full}).")
        elif isinstance(obj[head], str):
            found = self._find(obj[head])
            if found is None:
                raise _invalid("expand", f"This property cannot be expanded ({full}).")
            obj[head] = copy.deepcopy(found)
        self._expand(obj[head], rest, full)

    def _list(self, store: dict, params: dict, url: str, filters: tuple[str, ...] = ()) -> dict:
        items = list(reversed(store.values()))
        for name in filters:
            if params.get(name) not in (None, ""):
                items = [o for o in items if o.get(name) == params[name]]
        created = params.get("created")
        if isinstance(created, dict):
            bounds = {op: _int(created, op, name=f"created[{op}]") for op in created}
            checks = {
                "gt": lambda c, b: c > b,
                "gte": lambda c, b: c >= b,
                "lt": lambda c, b: c < b,
                "lte": lambda c, b: c <= b,
            }
            for op, bound in bounds.items():
                if op not in checks:
                    raise _invalid(f"created[{op}]", f"Received unknown parameter: created[{op}]")
                items = [o for o in items if checks[op](o["created"], bound)]
        elif created not in (None, ""):
            value = _int(params, "created")
            items = [o for o in items if o["created"] == value]
        items.sort(key=lambda o: o["created"], reverse=True)  # stable: newest first
        limit = _int(params, "limit")
        limit = 10 if limit is None else limit
        if not 1 <= limit <= 100:
            raise _invalid("limit", "Invalid limit: must be between 1 and 100")
        ids = [o["id"] for o in items]
        for cursor in ("starting_after", "ending_before"):
            if params.get(cursor) and params[cursor] not in ids:
                found = self._find(params[cursor])
                kind = found["object"] if found else "object"
                raise _no_such(kind, params[cursor], cursor)
        if params.get("starting_after"):
            items = items[ids.index(params["starting_after"]) + 1 :]
            page, has_more = items[:limit], len(items) > limit
        elif params.get("ending_before"):
            items = items[: ids.index(params["ending_before"])]
            page, has_more = items[-limit:], len(items) > limit
        else:
            page, has_more = items[:limit], len(items) > limit
        return {"object": "list", "data": page, "has_more": has_more, "url": url}

    # ------------------------------------------------------------ Checkout

    def _create_session(self, params: dict) -> dict:
        mode = params.get("mode")
        if not mode:
            raise _missing("mode")
        if mode != "payment":
            raise _invalid("mode", f"The Stripe stand-in only models mode=payment, not {mode}.")
        line_items = params.get("line_items")
        if not line_items:
            raise _missing("line_items")
        now = int(self.now())
        session_id = f"cs_test_{_rand(58)}"
        items, currency, total = [], None, 0
        for i, item in enumerate(line_items):
            name = f"line_items[{i}]"
            if item.get("price"):
                raise _no_such("price", item["price"], f"{name}[price]")
            data = item.get("price_data")
            if not data:
                raise _missing(f"{name}[price_data]")
            item_currency = str(data.get("currency") or "").lower()
            if currency and item_currency != currency:
                raise _invalid(
                    f"{name}[price_data][currency]",
                    "All line items must use the same currency.",
                )
            currency = item_currency
            unit = _int(data, "unit_amount", minimum=0, name=f"{name}[price_data][unit_amount]")
            if unit is None:
                raise _missing(f"{name}[price_data][unit_amount]")
            product = data.get("product_data") or {}
            if not product.get("name") and not data.get("product"):
                raise _missing(f"{name}[price_data][product_data][name]")
            quantity = _int(item, "quantity", minimum=1, name=f"{name}[quantity]")
            if quantity is None:
                raise _missing(f"{name}[quantity]")
            amount = unit * quantity
            total += amount
            items.append(
                {
                    "id": f"li_{_rand(24)}",
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": amount,
                    "amount_tax": 0,
                    "amount_total": amount,
                    "currency": currency,
                    "description": product.get("name"),
                    "metadata": _metadata(item.get("metadata"), f"{name}[metadata]"),
                    "price": {
                        "id": f"price_{_rand(24)}",
                        "object": "price",
                        "active": False,
                        "created": now,
                        "currency": currency,
                        "livemode": False,
                        "metadata": {},
                        "product": data.get("product") or f"prod_{_rand(14)}",
                        "type": "one_time",
                        "unit_amount": unit,
                    },
                    "quantity": quantity,
                }
            )
        intent_data = params.get("payment_intent_data") or {}
        _metadata(intent_data.get("metadata"), "payment_intent_data[metadata]")
        expires_at = _int(params, "expires_at") or now + 24 * 3600
        session = {
            "id": session_id,
            "object": "checkout.session",
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": total,
            "amount_total": total,
            "billing_address_collection": params.get("billing_address_collection"),
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "customer": params.get("customer"),
            "customer_creation": "if_required",
            "customer_details": None,
            "customer_email": params.get("customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": _metadata(params.get("metadata")),
            "mode": mode,
            "payment_intent": None,
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "submit_type": params.get("submit_type"),
            "success_url": params.get("success_url"),
            "ui_mode": "hosted",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}#{_rand(32)}",
        }
        self.sessions[session_id] = session
        self._line_items[session_id] = items
        self._pi_data[session_id] = intent_data
        return session

    def _session(self, session_id: str, status: int = 404) -> dict:
        session = self.sessions.get(session_id)
        if session is None:
            raise _no_such("checkout.session", session_id, "id", status)
        return session

    def _get_session(self, params: dict, id: str) -> dict:
        return self._session(id)

    def _list_sessions(self, params: dict) -> dict:
        filters = ("status", "payment_intent", "customer")
        return self._list(self.sessions, params, "/v1/checkout/sessions", filters)

    def _line_item_list(self, session_id: str, params: dict) -> dict:
        items = {item["id"]: dict(item, created=0) for item in self._line_items[session_id]}
        url = f"/v1/checkout/sessions/{session_id}/line_items"
        listing = self._list(dict(reversed(items.items())), params, url)
        for item in listing["data"]:
            item.pop("created")
        return listing

    def _session_line_items(self, params: dict, id: str) -> dict:
        self._session(id)
        return self._line_item_list(id, params)

    def _expire_session(self, params: dict, id: str) -> dict:
        session = self._session(id)
        if session["status"] != "open":
            raise _invalid(
                None,
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".',
            )
        return self._expire(session)

    def _expire(self, session: dict) -> dict:
        session.update(status="expired", url=None)
        return session

    def _new_payment_intent(self, session: dict, data: dict, now: int) -> dict:
        intent_id = f"pi_{_rand(24)}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_capturable": 0,
            "amount_received": 0,
            "application_fee_amount": _int(data, "application_fee_amount"),
            "capture_method": data.get("capture_method") or "automatic_async",
            "client_secret": f"{intent_id}_secret_{_rand(24)}",
            "confirmation_method": "automatic",
            "created": now,
            "currency": session["currency"],
            "customer": session["customer"],
            "description": data.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": _metadata(data.get("metadata")),
            "on_behalf_of": data.get("on_behalf_of"),
            "payment_method": f"pm_{_rand(24)}",
            "payment_method_types": ["card"],
            "receipt_email": data.get("receipt_email"),
            "statement_descriptor": data.get("statement_descriptor"),
            "status": "requires_payment_method",
            "transfer_data": data.get("transfer_data"),
            "transfer_group": data.get("transfer_group"),
        }
        self.payment_intents[intent_id] = intent
        return intent

    def _new_charge(self, intent: dict, now: int, declined: bool) -> dict:
        charge_id = f"ch_{_rand(24)}"
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0 if declined else intent["amount"],
            "amount_refunded": 0,
            "balance_transaction": None if declined else f"txn_{_rand(24)}",
            "captured": not declined,
            "created": now,
            "currency": intent["currency"],
            "description": intent["description"],
            "failure_code": "card_declined" if declined else None,
            "failure_message": "Your card was declined." if declined else None,
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "outcome": {
                "network_status": "declined_by_network" if declined else "approved_by_network",
                "reason": "generic_decline" if declined else None,
                "risk_level": "normal",
                "seller_message": (
                    "The bank did not return any further details with this decline."
                    if declined
                    else "Payment complete."
                ),
                "type": "issuer_declined" if declined else "authorized",
            },
            "paid": not declined,
            "payment_intent": intent["id"],
            "payment_method": intent["payment_method"],
            "refunded": False,
            "status": "failed" if declined else "succeeded",
            "transfer_group": intent["transfer_group"],
        }
        self.charges[charge_id] = charge
        return charge

    def _get_payment_intent(self, params: dict, id: str) -> dict:
        intent = self.payment_intents.get(id)
        if intent is None:
            raise _no_such("payment_intent", id, "id", 404)
        return intent

    def _get_charge(self, params: dict, id: str) -> dict:
        charge = self.charges.get(id)
        if charge is None:
            raise _no_such("charge", id, "id", 404)
        return charge

    # ------------------------------------------------------------ Connect

    def _create_account(self, params: dict) -> dict:
        kind = params.get("type")
        if not kind and not params.get("controller"):
            raise _missing("type")
        if kind and kind not in ("express", "standard", "custom"):
            raise _invalid("type", "Invalid type: must be one of custom, express, or standard")
        country = str(params.get("country") or "US").upper()
        requested = {
            name: "inactive"
            for name, value in (params.get("capabilities") or {}).items()
            if isinstance(value, dict) and _bool(value.get("requested"))
        }
        account_id = f"acct_{_rand(16)}"
        due = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]
        account = {
            "id": account_id,
            "object": "account",
            "business_profile": params.get("business_profile") or {"name": None, "url": None},
            "business_type": params.get("business_type"),
            "capabilities": requested,
            "charges_enabled": False,
            "country": country,
            "created": int(self.now()),
            "default_currency": params.get("default_currency")
            or _DEFAULT_CURRENCY.get(country, "usd"),
            "details_submitted": False,
            "email": params.get("email"),
            "external_accounts": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/accounts/{account_id}/external_accounts",
            },
            "metadata": _metadata(params.get("metadata")),
            "payouts_enabled": False,
            "requirements": {
                "alternatives": [],
                "current_deadline": None,
                "currently_due": list(due),
                "disabled_reason": "requirements.past_due",
                "errors": [],
                "eventually_due": list(due),
                "past_due": list(due),
                "pending_verification": [],
            },
            "settings": {"payouts": {"schedule": {"interval": "daily", "delay_days": 7}}},
            "tos_acceptance": {"date": None},
            "type": kind or "none",
        }
        self.accounts[account_id] = account
        return account

    def _get_account(self, params: dict, id: str) -> dict:
        account = self.accounts.get(id)
        if account is None:
            raise _no_such("account", id, "id", 404)
        return account

    def _create_account_link(self, params: dict) -> dict:
        account_id = params.get("account")
        if not account_id:
            raise _missing("account")
        if account_id not in self.accounts:
            raise _no_such("account", account_id, "account")
        kind = params.get("type")
        if not kind:
            raise _missing("type")
        if kind not in ("account_onboarding", "account_update"):
            raise _invalid(
                "type", "Invalid type: must be one of account_onboarding or account_update"
            )
        now = int(self.now())
        link = {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"https://connect.stripe.test/setup/e/{account_id}/{_rand(12)}",
        }
        self.account_links.append(
            dict(
                link,
                account=account_id,
                type=kind,
                refresh_url=params.get("refresh_url"),
                return_url=params.get("return_url"),
            )
        )
        return link

    def _create_transfer(self, params: dict) -> dict:
        amount = _int(params, "amount", minimum=1)
        if amount is None:
            raise _missing("amount")
        currency = str(params["currency"]).lower()
        destination = params["destination"]
        account = self.accounts.get(destination)
        if account is None:
            raise _no_such("destination", destination, "destination")
        if not account["charges_enabled"]:
            raise _invalid(
                "destination",
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                "insufficient_capabilities_for_transfer",
            )
        source = params.get("source_transaction")
        if source:
            charge = self.charges.get(source)
            if charge is None:
                raise _no_such("charge", source, "source_transaction")
            if charge["status"] != "succeeded":
                raise _invalid(
                    "source_transaction",
                    f"The source_transaction {source} has not succeeded and cannot be used.",
                )
        transfer_id = f"tr_{_rand(24)}"
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": f"txn_{_rand(24)}",
            "created": int(self.now()),
            "currency": currency,
            "description": params.get("description"),
            "destination": destination,
            "destination_payment": f"py_{_rand(24)}",
            "livemode": False,
            "metadata": _metadata(params.get("metadata")),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": source,
            "source_type": "card",
            "transfer_group": params.get("transfer_group"),
        }
        self.transfers[transfer_id] = transfer
        return transfer

    def _list_transfers(self, params: dict) -> dict:
        filters = ("destination", "transfer_group")
        return self._list(self.transfers, params, "/v1/transfers", filters)

    def _get_transfer(self, params: dict, id: str) -> dict:
        transfer = self.transfers.get(id)
        if transfer is None:
            raise _no_such("transfer", id, "id", 404)
        return transfer

    # ------------------------------------------------------------ Refunds

    def _create_refund(self, params: dict) -> dict:
        intent_id, charge_id = params.get("payment_intent"), params.get("charge")
        if not intent_id and not charge_id:
            raise _invalid(
                None,
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                "parameter_missing",
            )
        if intent_id:
            intent = self.payment_intents.get(intent_id)
            if intent is None:
                raise _no_such("payment_intent", intent_id, "payment_intent")
            if intent["status"] != "succeeded":
                raise _invalid(
                    "payment_intent",
                    f"This PaymentIntent ({intent_id}) does not have a successful charge "
                    "to refund.",
                )
            charge = self.charges[intent["latest_charge"]]
        else:
            charge = self.charges.get(charge_id)
            if charge is None:
                raise _no_such("charge", charge_id, "charge")
            if charge["status"] != "succeeded":
                raise _invalid("charge", f"Charge {charge_id} has not succeeded.")
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise _invalid(
                None,
                f"Charge {charge['id']} has already been refunded.",
                "charge_already_refunded",
            )
        amount = _int(params, "amount", minimum=1)
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise _invalid(
                "amount",
                f"Refund amount ({_money(amount, charge['currency'])}) is greater than "
                f"unrefunded amount on charge ({_money(remaining, charge['currency'])})",
                "amount_too_large",
            )
        reason = params.get("reason")
        if reason not in (None, "") and reason not in _REFUND_REASONS:
            raise _invalid(
                "reason",
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
            )
        refund_id = f"re_{_rand(24)}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": f"txn_{_rand(24)}",
            "charge": charge["id"],
            "created": int(self.now()),
            "currency": charge["currency"],
            "destination_details": {"card": {"type": "refund"}, "type": "card"},
            "metadata": _metadata(params.get("metadata")),
            "payment_intent": charge["payment_intent"],
            "reason": reason or None,
            "status": "succeeded",
        }
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.refunds[refund_id] = refund
        return refund

    def _list_refunds(self, params: dict) -> dict:
        return self._list(self.refunds, params, "/v1/refunds", ("payment_intent", "charge"))

    def _get_refund(self, params: dict, id: str) -> dict:
        refund = self.refunds.get(id)
        if refund is None:
            raise _no_such("refund", id, "id", 404)
        return refund
