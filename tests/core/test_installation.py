"""A fresh installation's private files: the secret key and the embedded database are readable
by the account that runs the site, and by no other account on the machine."""

import os
import stat

from flask import Flask

from market.config import load_config


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_instance_folder_and_secret_key_are_private(tmp_path):
    instance = tmp_path / "instance"
    app = Flask("market_probe", instance_path=str(instance))
    load_config(app, {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": None})
    assert len(app.config["SECRET_KEY"]) >= 48
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600


def test_an_existing_installation_is_made_private_on_start(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    (instance / "secret_key").write_text("an-old-key-written-world-readable")
    (instance / "market.sqlite3").write_bytes(b"")
    for path in (instance / "secret_key", instance / "market.sqlite3"):
        os.chmod(path, 0o644)
    app = Flask("market_probe", instance_path=str(instance))
    load_config(app, {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": None})
    assert app.config["SECRET_KEY"] == "an-old-key-written-world-readable"  # kept, not replaced
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(instance / "market.sqlite3") == 0o600
