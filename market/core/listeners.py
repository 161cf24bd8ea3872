"""Running work that one domain does because another announced something (signal receivers,
arrival hooks, a batch's deferred steps) so that a failure there never undoes, or stops, the
action announced: the failure is logged and recorded (ListenerFailure) for regulators and
operators, and what the listener had started is rolled back.

Outside the due-time runner's batch each listener runs in a SAVEPOINT. Inside a batch
(thousands of transitions in one transaction) listeners only queue their work (core.batching)
and run without one: a failure drops the rows they had added; the batch's deferred steps run in
savepoints (batching.py) and the runner redoes a failed batch notice by notice (runner.py).
"""

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..extensions import db
from . import batching
from .failures import record_failure

#: session.info key: the objects added to the session while a batch's listener runs (so a
#: failing one's rows can be dropped without copying the whole session for every call)
ADDED_KEY = "market_listener_added"


@event.listens_for(Session, "transient_to_pending")
def _note_added(session, instance):
    added = session.info.get(ADDED_KEY)
    if added is not None:
        added.append(instance)


def call_listener(listener, sender, /, *, event: str, **kwargs) -> bool:
    """Run `listener(sender, **kwargs)`; True if it succeeded. A failure is recorded and left
    undone, never raised: the announced action stands."""
    if not has_app_context():
        listener(sender, **kwargs)
        return True
    session = db.session()
    if batching.active():
        added = session.info.setdefault(ADDED_KEY, [])
        start = len(added)  # a listener may call another: each drops only its own rows
        try:
            listener(sender, **kwargs)
        except SQLAlchemyError:
            raise  # the transaction itself broke: the runner redoes the batch one by one
        except Exception as error:
            for row in added[start:]:
                if row in session.new:
                    session.expunge(row)
            record_failure(event, listener, sender, error)
            return False
        finally:
            del added[start:]
            if not added:
                session.info.pop(ADDED_KEY, None)
        return True
    savepoint = session.begin_nested()
    try:
        listener(sender, **kwargs)
    except Exception as error:
        savepoint.rollback()
        record_failure(event, listener, sender, error)
        return False
    savepoint.commit()
    return True
