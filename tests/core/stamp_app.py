"""A WSGI application that answers with the arrival moment the serving worker gave the request
(tests/core/test_serving.py runs it under gunicorn)."""

from market.core.arrival import SERVER_STAMP_KEY


def app(environ, start_response):
    stamp = environ.get(SERVER_STAMP_KEY)
    body = (stamp.isoformat() if stamp is not None else "none").encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
