"""Demo procurement: notices of every selection method in every lasting state.

Each story walks one notice through the real services with the clock moved back
(core.clock.travel), timed so that it rests in its target state today: the audit chain,
the draws, the notifications and the deadlines are what users would have produced.
"""

from dataclasses import replace
from datetime import timedelta

from ..agencies.documents import Upload, library
from ..agencies.models import RATING_DIMENSIONS
from ..agencies.qualifications import usable_qualifications
from ..core.clock import SHANGHAI, travel
from ..core.workdays import add_working_days
from ..procurement import services as procurement
from .storefronts import demo_pdf

#: where a notice rests (`selected` lasts an instant); bidding_closed only for MANUAL methods
LASTING = tuple(state for state in procurement.state_labels() if state != "selected")
#: the methods that wait for the purchaser's step after bidding closes
MANUAL = tuple(key for key, method in procurement.registered().items() if method.step)


def days_ago(now, days, hour=10):
    moment = (now - timedelta(days=days)).astimezone(SHANGHAI)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def _hour(moment):
    return moment.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)


def _back(moment, n):
    """The latest time of day of `moment`, some days earlier, whose n-th working day after
    is not later than `moment` (deadlines counted backwards from where a story must be)."""
    candidate = moment - timedelta(days=n)
    while add_working_days(candidate, n) > moment:
        candidate -= timedelta(days=1)
    return candidate


class _Walk:
    """One notice walked from its draft to `spec.target`."""

    def __init__(self, b, cast, spec):
        self.b, self.cast, self.spec, self.rng = b, cast, spec, b.rng
        self.buyer = cast.purchasers[spec.owner]
        self.manual = spec.method in MANUAL
        self.item = self._item()
        count = self._bidder_count()
        self.bidders = self._sample(count, count and spec.star in ("wins", "loses", "bids"))
        others = [u for u in self.bidders if u is not cast.star]
        self.intended = cast.star if spec.star == "wins" else (others or [None])[0]

    # --- who and what ------------------------------------------------------------------

    def _pool(self, item):
        return [u for u in self.cast.offered_by.get(item.id, []) if u is not self.cast.star]

    def _item(self):
        spec, cast = self.spec, self.cast
        codes = spec.items or (("ZJ012", "ZJ013") if spec.star else ())
        if codes:
            return cast.items[self.rng.choice(codes)]
        need = self._bidder_count() + 1  # one more for an avoidance list
        fit = [i for _, i in sorted(cast.items.items()) if len(self._pool(i)) >= need]
        return self.rng.choice(fit)

    def _bidder_count(self):
        spec = self.spec
        if spec.ending in ("no_bids", "draft"):
            return 0
        if spec.ending == "too_few":
            return 1 if spec.method == "credit" else 2
        if spec.target == "published":
            return 3
        return 6 if spec.method == "mean" else 4

    def _sample(self, n, with_star):
        pool = self._pool(self.item)
        chosen = self.rng.sample(pool, min(n - with_star, len(pool)))
        if with_star:
            chosen.insert(self.rng.randrange(len(chosen) + 1), self.cast.star)
        return chosen

    def _amounts(self):
        notice, rng = self.notice, self.rng
        if notice.is_fixed_price:
            return {u.id: None for u in self.bidders}
        ceiling = notice.ceiling_fen
        amounts = {u.id: int(ceiling * rng.uniform(0.8, 0.98)) // 100 * 100 for u in self.bidders}
        if self.intended is not None:
            amounts[self.intended.id] = int(ceiling * rng.uniform(0.7, 0.78)) // 100 * 100
            if self.spec.tie:  # the lowest quote twice: the verifiable draw decides
                rival = next(u for u in self.bidders if u is not self.intended)
                amounts[rival.id] = amounts[self.intended.id]
        return amounts

    # --- steps -------------------------------------------------------------------------

    def _quote(self, user, notice, at, amount, reconfirm=False):
        org_id = user.organisation.id
        with travel(at):
            (procurement.reconfirm_bid if reconfirm else procurement.submit_bid)(
                user,
                notice,
                amount,
                f"组建专项项目组，{self.rng.choice([10, 15, 20])}个工作日内提交成果。",
                # What an agency attaches: its qualifications for the item and its licence scan.
                qualification_ids=[q.id for q in usable_qualifications(org_id, notice.item_id)],
                document_ids=[d.id for d in library(org_id, "licence")],
            )

    def _load(self, at):
        """Read the notice at `at`: whatever deadline has passed is applied first."""
        with travel(at):
            return procurement.load_notice(self.notice.id)

    def _edit(self, at):
        """Edit the published notice: every bid lapses; all but one bidder reconfirm."""
        notice, data = self.notice, self.data
        data = replace(
            data,
            scope=data.scope + "另需提交成果电子版及专家评审会汇报材料。",
            service_days=data.service_days + 15,
            uploads=[],
            attachment_ids=[d.id for d in notice.attachments],
        )
        with travel(at):
            procurement.update_notice(self.buyer, notice, data, revision=notice.revision)
        if self.spec.edited != "reconfirmed":
            return
        late = next(u for u in reversed(self.bidders) if u is not self.intended)
        for user in self.bidders:
            if user is not late:
                self._quote(user, notice, at + timedelta(days=1), self.amounts[user.id], True)

    def _choose(self, at):
        """The purchaser's part: pick the intended bid (direct) or enter technical scores."""
        notice = self._load(at)
        bids = procurement.eligible_bids(notice)
        with travel(at):
            if self.spec.method == "direct":
                bid = next(b for b in bids if b.agency_org_id == self.intended.organisation.id)
                reason = self.rng.choice(
                    ["报价合理，同类项目业绩良好，承诺时限满足项目进度要求", "技术方案针对性强"]
                )
                procurement.select_bid(self.buyer, notice, bid.id, reason)
                return
            best = self.intended.organisation.id
            scores = {
                b.id: self.rng.randint(*(88, 95) if b.agency_org_id == best else (60, 85))
                for b in bids
            }
            procurement.score_bids(self.buyer, notice, scores)

    def _object(self, selected_at):
        """A losing bidder objects with a file; the purchaser answers, the regulator decides."""
        spec, notice = self.spec, self.notice
        winner_org = notice.selected_bid.agency_org_id
        losers = [u for u in self.bidders if u.organisation.id != winner_org]
        objector = self.cast.star if spec.star == "loses" else losers[-1]
        evidence = Upload(
            "objection", "报价单及类似项目业绩证明", "evidence.pdf", demo_pdf("Evidence")
        )
        with travel(selected_at + timedelta(minutes=30)):
            objection = procurement.file_objection(
                objector,
                notice,
                "中选机构承诺的服务期限明显短于同类项目正常周期，报价低于成本，"
                "请求核实其技术方案和人员配备。",
                [evidence],
            )
        if spec.objection == "open":
            return
        with travel(selected_at + timedelta(hours=1)):
            procurement.answer_objection(
                self.buyer,
                notice,
                objection.id,
                "已核查中选机构的技术方案、项目负责人资格及同类业绩，报价未低于成本。",
            )
        if spec.objection == "answered":
            return
        upheld = spec.objection == "upheld"
        decision = (
            "经核查，中选机构项目负责人证书已注销，异议成立，排除该机构后重新选取。"
            if upheld
            else "经核查，中选机构报价及人员配备符合公告要求，异议不成立。"
        )
        regulator = self.cast.regulators[self.item.approving_department]
        with travel(selected_at + timedelta(days=1)):
            procurement.decide_objection(
                regulator, notice, objection.id, upheld, decision, exclude_winner=upheld
            )

    def _sign(self, parties, at):
        contract = Upload(
            "contract", "服务合同（签字盖章版）", "contract.pdf", demo_pdf("Contract")
        )
        if "purchaser" in parties:
            with travel(at):
                procurement.sign_contract(self.buyer, self.notice, contract)
        if "agency" in parties:
            with travel(at + timedelta(hours=1)):
                procurement.sign_contract(self.winner, self.notice)

    def _deliver(self, at):
        report = Upload("deliverable", "成果报告（报批稿）", "report.pdf", demo_pdf("Report"))
        with travel(at):
            procurement.mark_delivered(
                self.winner, self.notice, "提交报告书正本 5 份及电子版一份", [report]
            )

    def _scores(self):
        poor = bool(self.spec.poor)
        return {
            d: (2 if poor and d in ("quality", "timeliness") else self.rng.choice([4, 5, 5]))
            for d in RATING_DIMENSIONS
        }

    # --- the walk ----------------------------------------------------------------------

    def _schedule(self):
        """(published, deadline, selected) putting the notice in its target state today."""
        spec, now = self.spec, self.b.now

        def before(selected):
            deadline = selected - timedelta(hours=20) if self.manual else selected
            return _back(deadline, 5), deadline, selected

        if spec.target == "published":
            published = days_ago(now, 1)
            return published, add_working_days(published, 6), None
        if spec.target == "bidding_closed" or spec.republish:
            deadline = _hour(now - timedelta(hours=4))
            return _back(deadline, 5), deadline, None
        if spec.target == "publicity":
            return before(_hour(now - timedelta(hours=3)))
        if spec.target == "awarded":
            return before(_back(_hour(now - timedelta(days=1)), 3))
        published = days_ago(now, self.rng.randint(60, 85))
        deadline = add_working_days(published, 5)
        return published, deadline, deadline + timedelta(hours=2) if self.manual else deadline

    def walk(self):
        spec, now = self.spec, self.b.now
        if spec.target == "draft":
            with travel(now - timedelta(hours=3)):
                self.data = self.b.notice_data(
                    spec, self.buyer, self.item, add_working_days(now, 5)
                )
                self.notice = procurement.create_notice(self.buyer, self.data)
            return self.notice
        published, deadline, selected = self._schedule()
        with travel(published):
            spare = [u for u in self._pool(self.item) if u not in self.bidders]
            avoided = spare[0] if spec.extras else None  # an agency linked to the project
            self.data = self.b.notice_data(spec, self.buyer, self.item, deadline, avoided)
            self.notice = notice = procurement.create_notice(self.buyer, self.data)
            if spec.ending != "draft":
                procurement.publish_notice(self.buyer, notice)
        self.amounts = self._amounts()
        for user in self.bidders:
            self._quote(user, notice, published + timedelta(hours=2), self.amounts[user.id])
        if spec.edited:
            self._edit(published + timedelta(days=1))
        if spec.ending in ("draft", "published"):
            with travel(published + timedelta(days=1)):
                procurement.cancel_notice(self.buyer, notice, "项目建设方案调整，暂停采购")
        if spec.target in ("published", "cancelled") and spec.ending != "bidding_closed":
            return self._done()
        self._load(deadline + timedelta(minutes=1))  # bidding closes (automatic methods select)
        if spec.target == "failed":
            if spec.republish:
                self._republish(deadline + timedelta(hours=1))
            return self._done()
        if spec.ending == "bidding_closed":
            with travel(deadline + timedelta(hours=2)):
                procurement.cancel_notice(self.buyer, notice, "项目立项批复调整，放弃本次选取")
        if spec.target in ("bidding_closed", "cancelled"):
            return self._done()
        if self.manual:
            self._choose(selected)
        if spec.objection:
            self._object(selected)
        if spec.target == "publicity":
            return self._done()
        return self._after_publicity()

    def _after_publicity(self):
        spec, notice, now = self.spec, self.notice, self.b.now
        self._load(notice.publicity_end_dt + timedelta(minutes=1))  # the award
        self.winner = next(
            u for u in self.bidders if u.organisation.id == notice.contract.agency_org_id
        )
        signed = notice.publicity_end_dt + timedelta(hours=2)
        if spec.target == "awarded":
            self._sign((spec.sign,), signed)
            return self._done()
        if spec.ending == "lapsed":
            self._sign(("purchaser",), signed)
            self._load(notice.sign_deadline_dt + timedelta(minutes=1))
            return self._done()
        self._sign(("purchaser", "agency"), signed)
        if spec.ending == "ended":
            with travel(signed + timedelta(days=5)):
                procurement.terminate_contract(
                    self.buyer, notice, "项目因规划调整停建，经双方协商中止服务"
                )
        if spec.target in ("contracted", "terminated"):
            return self._done()
        delivered = signed + timedelta(days=7)
        if spec.target == "delivered":
            delivered = _hour(now - timedelta(days=1))
        elif spec.target == "accepted":
            delivered = (
                _back(_hour(now - timedelta(days=1)), 10)
                if spec.auto_accept
                else _hour(now - timedelta(days=4))
            )
        self._deliver(delivered)
        if spec.returned:
            with travel(delivered + timedelta(days=2)):
                procurement.return_delivery(
                    self.buyer, notice, "报告缺少周边敏感点监测数据，请补充后重新提交"
                )
            delivered += timedelta(days=4)
            self._deliver(delivered)
        if spec.target == "delivered":
            return self._done()
        return self._accept(delivered + timedelta(days=2 if spec.target == "evaluated" else 3))

    def _accept(self, accepted):
        spec, notice = self.spec, self.notice
        comment = self.rng.choice(
            ["成果质量较高，沟通顺畅", "按时交付，收费合理", "整体满意，个别细节修改了两轮"]
        )
        if spec.poor:
            comment = "报告多处数据错误，延期两周才交付"
        if spec.auto_accept:
            accepted = notice.accept_deadline_dt
            self._load(accepted + timedelta(minutes=1))
        else:
            with travel(accepted):
                procurement.accept_and_evaluate(self.buyer, notice, self._scores(), comment)
        if spec.target == "accepted":
            return self._done()
        if spec.auto_accept:
            with travel(accepted + timedelta(hours=1)):
                procurement.evaluate(self.buyer, notice, self._scores(), comment)
        if spec.method == "credit":  # the agency lets the window close without rating
            self._load(notice.evaluation_end_dt + timedelta(minutes=1))
        else:
            with travel(accepted + timedelta(days=1)):
                scores = {d: self.rng.choice([4, 5]) for d in RATING_DIMENSIONS}
                procurement.evaluate(self.winner, notice, scores, "需求明确，配合顺畅")
        if spec.poor:
            self._rectify(accepted + timedelta(days=3))
        return self._done()

    def _rectify(self, at):
        case = procurement.notice_rectifications(self.notice)[0]
        with travel(at):
            procurement.answer_rectification(
                self.winner,
                case.id,
                "已更换项目负责人，补充监测数据并完成报告修订，建立质量复核制度。",
            )
        if self.spec.poor == "followed_up":
            with travel(at + timedelta(days=2)):
                procurement.record_followup(
                    self.cast.operator,
                    case.id,
                    "电话回访采购人，确认整改到位，对修订后的成果满意。",
                )

    def _republish(self, at):
        """The failed notice re-published in one click; agencies quote on the copy."""
        with travel(at):
            copy = procurement.republish_notice(self.buyer, self.notice)
        for user in self._sample(3, self.spec.star == "bids"):
            price = None if copy.is_fixed_price else copy.ceiling_fen * 9 // 10
            self._quote(user, copy, at + timedelta(hours=1), price)

    def _done(self):
        if self.notice.state != self.spec.target:
            raise RuntimeError(
                f"demo notice {self.notice.id} ({self.spec}) ended {self.notice.state}"
            )
        return self.notice


def play(b, cast, specs) -> list:
    """Walk every story (demo.Spec) with its cast (demo.Cast); the notices, in order."""
    return [_Walk(b, cast, spec).walk() for spec in specs]
