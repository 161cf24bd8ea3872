"""Headers every response carries: no framing by other sites (clickjacking), no content-type
sniffing, no full address sent to other sites, HSTS once served over HTTPS, and a server name
that says nothing of the software behind it."""

from flask import current_app, request


def secure_headers(response):
    """Add the site's security headers to `response` (an after_request hook)."""
    headers = response.headers
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure or current_app.config["PREFERRED_URL_SCHEME"] == "https":
        headers.setdefault(
            "Strict-Transport-Security", f"max-age={current_app.config['HSTS_SECONDS']}"
        )
    # Werkzeug's server names itself and Python's version unless the response names a server.
    headers["Server"] = "market"
    return response


def register_headers(app) -> None:
    app.after_request(secure_headers)
