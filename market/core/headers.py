"""Headers every response carries: a Content-Security-Policy that runs only the site's own
scripts and styles (no inline script, style or handler: an injected one does nothing), no
framing by other sites (clickjacking), no content-type sniffing, no full address sent to
other sites, HSTS once served over HTTPS, and a server name that says nothing of the software
behind it."""

from flask import current_app, request

# data: images are Bootstrap's own SVG icons (select arrows, check marks) inside its CSS.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def secure_headers(response):
    """Add the site's security headers to `response` (an after_request hook)."""
    headers = response.headers
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
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
