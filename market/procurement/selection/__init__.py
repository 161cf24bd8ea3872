"""Selection: the methods and their registry (base.py), the verifiable seeded draw (draw.py),
ties (ties.py) and one module per method (direct, random_draw, lowest, mean_price, scored,
credit). Closing the bidding and running a method are running.py's; re-running a stored
selection is verify.py's. Importing this package registers every method.
"""

from . import credit, direct, lowest, mean_price, random_draw, scored  # noqa: F401 (register)
from .base import (  # noqa: F401
    Outcome,
    SelectionMethod,
    method_for,
    method_keys,
    method_labels,
    notice_defaults,
    registered,
)
