"""The verifiable draw: a seed fixed before the draw, and indexes derived from it.

Seed = SHA-256 over the canonical JSON of the notice id, the selection round, the notice's
`draw_salt` (published with the notice, before any bid) and the sorted commitments of the
candidate bids. Anyone holding those published values recomputes the seed and every index.
"""

from decimal import Decimal

from ...core.hashing import canonical_json, sha256_hex

#: how an index is derived from the seed: int(SHA-256(seed + ":" + label)) mod n
DRAW_ALGORITHM = "sha256-counter-v1"


def seed_inputs(notice_id: int, round_: int, draw_salt: str, commitments) -> dict:
    """The published data the seed is computed from."""
    return {
        "notice_id": notice_id,
        "round": round_,
        "draw_salt": draw_salt,
        "commitments": sorted(commitments),
    }


def seed_of(inputs: dict) -> str:
    """The seed: SHA-256 (hex) over the canonical JSON of the seed inputs."""
    return sha256_hex(canonical_json(inputs))


def draw_index(seed: str, n: int, label: str = "0") -> int:
    """An index in [0, n) from the seed; `label` separates independent draws of one seed
    (the counter "0" picks a winner, "k" draws the mean-price K)."""
    if n <= 0:
        raise ValueError("draw_index needs at least one candidate")
    return int(sha256_hex(f"{seed}:{label}"), 16) % n


def draw_among(seed: str, bid_ids, label: str = "0") -> tuple[int, dict]:
    """Draw one of `bid_ids` (ordered by bid id first, so the order is fixed): the chosen id
    and a record of the draw for the selection's parameters."""
    ordered = sorted(bid_ids)
    index = draw_index(seed, len(ordered), label)
    return ordered[index], {
        "algorithm": DRAW_ALGORITHM,
        "among": ordered,
        "label": label,
        "index": index,
        "winner_bid_id": ordered[index],
    }


def draw_decimal(seed: str, low, high, places: int = 4, label: str = "k") -> Decimal:
    """A decimal in [low, high] with `places` decimals, drawn from the seed (mean-price K)."""
    step = Decimal(1).scaleb(-places)
    low_d, high_d = Decimal(str(low)), Decimal(str(high))
    steps = int((high_d - low_d) / step)
    return low_d + step * draw_index(seed, steps + 1, label)
