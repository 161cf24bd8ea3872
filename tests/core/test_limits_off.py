"""A site configured without abuse limits (RATELIMIT_ENABLED off, e.g. for a load test
behind a proxy that limits) starts and serves its pages."""

from flask_migrate import upgrade

from market import create_app
from market.extensions import db as _db

from ..conftest import TEST_CONFIG


def test_the_limits_can_be_switched_off_in_the_config(tmp_path):
    app = create_app(
        {
            **TEST_CONFIG,
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'off.sqlite3'}",
        }
    )
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    client = app.test_client()
    for _ in range(12):  # past the ten logins a minute an address otherwise gets
        response = client.post("/login", data={"email": "nobody@example.cn", "password": "x"})
        assert response.status_code == 200
