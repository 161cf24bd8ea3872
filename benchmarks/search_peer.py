"""The search benchmark's peer (benchmarks/search.py): SQLite FTS5 over jieba-segmented text."""

import time

from sqlalchemy import select

from market.accounts.models import Organisation
from market.agencies.models import RATING_DIMENSIONS as RATING_DIMS
from market.agencies.models import Agency, Offering, Qualification
from market.catalogue.models import ServiceItem
from market.procurement.models import Notice

PEER_SCHEMA = """
CREATE VIRTUAL TABLE agencies_fts USING fts5(name, items, qualifications, region, description,
    initials, tokenize='unicode61');
CREATE TABLE agencies_meta (id INTEGER PRIMARY KEY, region TEXT, grade TEXT, score INT,
    factor REAL, rating REAL, blocked INT, created TEXT);
CREATE TABLE agencies_cat (id INT, category TEXT);
CREATE VIRTUAL TABLE notices_fts USING fts5(title, item, project, purchaser, region, initials,
    tokenize='unicode61');
CREATE TABLE notices_meta (id INTEGER PRIMARY KEY, region TEXT, category TEXT, state TEXT,
    score INT DEFAULT 0, rating REAL DEFAULT 0, created TEXT);
"""
PEER_INDEXES = """
CREATE INDEX ix_cat_category ON agencies_cat (category, id);
CREATE INDEX ix_cat_id ON agencies_cat (id);
"""
#: bm25 column weights, as the engine's FIELDS (initials as its 2.0 boost)
PEER_WEIGHTS = {
    "agencies": "3.0, 2.0, 1.5, 1.0, 0.5, 2.0",
    "notices": "3.0, 2.0, 1.5, 1.5, 1.0, 2.0",
}
PEER_FACETS = {"agencies": ("region", "grade"), "notices": ("region", "category", "state")}
PEER_SORTS = {"credit": "m.score DESC, r", "rating": "m.rating DESC, r", "newest": "m.created DESC"}


class Peer:
    """FTS5 tables (unicode61 over space-joined `jieba.cut_for_search` tokens) beside plain
    tables for the filters, facets and sorts; queried with the engine's own query words and
    synonym groups, so both answer the same question."""

    def __init__(self, path):
        import sqlite3

        self.db = sqlite3.connect(path)

    @classmethod
    def build(cls, path, conn):
        import jieba

        from market.search import analysis
        from market.search.documents import FOREVER

        seg = lambda text: " ".join(jieba.cut_for_search(text or ""))  # noqa: E731
        peer = cls(path)
        peer.db.executescript(PEER_SCHEMA)
        a, o, of, si, q = (
            Agency.__table__,
            Organisation.__table__,
            Offering.__table__,
            ServiceItem.__table__,
            Qualification.__table__,
        )
        offered, quals = {}, {}
        for agency_id, code, name, category in conn.execute(
            select(of.c.agency_id, si.c.code, si.c.name, si.c.category).join(si)
        ):
            offered.setdefault(agency_id, []).append((code, name, category))
        for agency_id, kind, grade in conn.execute(
            select(q.c.agency_id, q.c.type, q.c.grade).where(
                q.c.status.in_(("declared", "verified"))
            )
        ):
            quals.setdefault(agency_id, []).append(f"{kind} {grade}")
        fts, meta, cats = [], [], []
        for r in conn.execute(select(a, o.c.name, o.c.region, o.c.created_dt).join(o)):
            items = offered.get(r.org_id, [])
            names = " ".join(n for _, n, _ in items)
            blocked = int(r.suspended_until.timestamp()) if r.suspended_until else 0
            if r.blacklisted:
                ends = r.blacklisted_until
                blocked = max(blocked, int(ends.timestamp()) if ends else FOREVER)
            rating = (
                sum(getattr(r, f"rating_{d}") for d in RATING_DIMS) / r.rating_count / 5
                if r.rating_count
                else 0.0
            )
            fts.append(
                (
                    r.org_id,
                    seg(r.name),
                    seg(" ".join(f"{c} {n}" for c, n, _ in items)),
                    seg(" ".join(quals.get(r.org_id, []))),
                    seg(f"{r.region} {r.service_area}"),
                    seg(r.description),
                    analysis.initials(f"{r.name} {names}"),
                )
            )
            meta.append(
                (
                    r.org_id,
                    r.region,
                    r.credit_grade,
                    r.credit_score,
                    0.5 + r.credit_score / 200,
                    rating,
                    blocked,
                    r.created_dt.isoformat(),
                )
            )
            cats.extend((r.org_id, c) for c in sorted({c for _, _, c in items}))
        peer.db.executemany(
            "INSERT INTO agencies_fts (rowid, name, items, qualifications, "
            "region, description, initials) VALUES (?,?,?,?,?,?,?)",
            fts,
        )
        peer.db.executemany("INSERT INTO agencies_meta VALUES (?,?,?,?,?,?,?,?)", meta)
        peer.db.executemany("INSERT INTO agencies_cat VALUES (?,?)", cats)
        n, p = Notice.__table__, o.alias()
        fts, meta = [], []
        rows = conn.execute(
            select(
                n.c.id,
                n.c.title,
                n.c.project_name,
                n.c.project_code,
                n.c.state,
                n.c.published_dt,
                si.c.code,
                si.c.name.label("item"),
                si.c.category,
                p.c.name.label("purchaser"),
                p.c.region,
            )
            .join(si, si.c.id == n.c.item_id)
            .join(p, p.c.id == n.c.purchaser_org_id)
            .where(n.c.published_dt.is_not(None))
        )
        for r in rows:
            fts.append(
                (
                    r.id,
                    seg(r.title),
                    seg(f"{r.code} {r.item}"),
                    seg(f"{r.project_name} {r.project_code}"),
                    seg(r.purchaser),
                    seg(r.region),
                    analysis.initials(f"{r.title} {r.item}"),
                )
            )
            meta.append((r.id, r.region, r.category, r.state, r.published_dt.isoformat()))
        peer.db.executemany(
            "INSERT INTO notices_fts (rowid, title, item, project, purchaser, "
            "region, initials) VALUES (?,?,?,?,?,?,?)",
            fts,
        )
        peer.db.executemany(
            "INSERT INTO notices_meta (id, region, category, state, created) VALUES (?,?,?,?,?)",
            meta,
        )
        peer.db.executescript(PEER_INDEXES)
        peer.db.commit()
        peer.db.execute("VACUUM")
        return peer

    def _where(self, kind, text, filters, can_bid_only):
        from market.search import analysis, engine

        words = engine.query_words(text)
        groups = [
            "(" + " OR ".join(f'"{w}"' for w in group) + ")" for group in analysis.expand(words)
        ]
        match = " AND ".join(groups)
        if text.isascii() and text.replace(" ", "").isalpha():
            match = f'({match}) OR initials:"{text.replace(" ", "").lower()}"'
        sql, args = [f"{kind}_fts MATCH ?"], [match]
        for name, value in (filters or {}).items():
            if kind == "agencies" and name == "category":
                sql.append("m.id IN (SELECT id FROM agencies_cat WHERE category = ?)")
            else:
                sql.append(f"m.{name} = ?")
            args.append(value)
        if can_bid_only and kind == "agencies":
            sql.append("m.blocked <= ?")
            args.append(int(time.time()))
        return " AND ".join(sql), args

    def top_only(self, kind, text, filters, sort, can_bid_only):
        """The first page: 20 rows in the blended (or chosen) order with snippets."""
        where, args = self._where(kind, text, filters, can_bid_only)
        factor = "* m.factor" if kind == "agencies" else ""
        order = PEER_SORTS.get(sort, f"r {factor}" + (", m.score DESC" if factor else ""))
        rows = self.db.execute(
            f"SELECT m.id, bm25({kind}_fts, {PEER_WEIGHTS[kind]}) AS r, "
            f"snippet({kind}_fts, 0, '<mark>', '</mark>', '…', 12), "
            f"snippet({kind}_fts, 1, '<mark>', '</mark>', '…', 12) "
            f"FROM {kind}_fts JOIN {kind}_meta m ON m.id = {kind}_fts.rowid "
            f"WHERE {where} ORDER BY {order} LIMIT 20",
            args,
        ).fetchall()
        return len(rows)

    def search(self, kind, text, filters, sort, can_bid_only):
        """As the engine's results: the first page, the total and the facet counts."""
        self.top_only(kind, text, filters, sort, can_bid_only)
        where, args = self._where(kind, text, filters, can_bid_only)
        facets = [
            f"SELECT '{f}', m.{f}, count(*) FROM hits JOIN {kind}_meta m USING (id) GROUP BY m.{f}"
            for f in PEER_FACETS[kind]
        ]
        if kind == "agencies":
            facets.append(
                "SELECT 'category', c.category, count(*) FROM hits "
                "JOIN agencies_cat c USING (id) GROUP BY c.category"
            )
        rows = self.db.execute(
            f"WITH hits AS MATERIALIZED (SELECT m.id FROM {kind}_fts JOIN {kind}_meta m "
            f"ON m.id = {kind}_fts.rowid WHERE {where}) " + " UNION ALL ".join(facets),
            args,
        ).fetchall()
        return sum(count for facet, _, count in rows if facet == "region")
