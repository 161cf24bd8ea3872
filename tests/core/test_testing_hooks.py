"""The end-to-end tests' hooks exist only where a test asked for them."""

import pytest

from market import create_app


def _rules(app):
    return {rule.rule for rule in app.url_map.iter_rules()}


def test_a_deployed_configuration_has_no_testing_hooks(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert not {"/_testing/clock", "/_testing/worker"} & _rules(app)


def test_the_hooks_are_refused_without_testing(tmp_path):
    with pytest.raises(RuntimeError, match="TESTING_HOOKS"):
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "TESTING_HOOKS": True,
            }
        )


def test_the_hooks_move_the_clock_and_give_it_back(tmp_path):
    from market.core import clock

    app = create_app(
        {
            "TESTING": True,
            "TESTING_HOOKS": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        }
    )
    client = app.test_client()
    try:
        answer = client.post("/_testing/clock", data={"to": "2027-01-04T02:00:00+00:00"})
        assert answer.json["now"] == "2027-01-04T02:00:00+00:00"
        assert client.post("/_testing/clock", data={"to": "2027-01-04"}).status_code == 400
    finally:
        clock.freeze(None)
