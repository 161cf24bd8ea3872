"""A notice form with several problems shows all of them at once, each beside its field."""

from datetime import timedelta

from market.core.clock import to_local, utcnow


def test_every_problem_of_a_notice_is_shown_at_once(client, auth, make):
    buyer = make.purchaser()
    auth.login(buyer)
    form = {
        "item_id": str(make.item("ZJ012").id),
        "title": "礼嘉智慧公园环境影响评价服务采购",
        "scope": "编制环境影响报告书",
        "ceiling": "120000",
        "service_days": "30",
        # an hour from now: shorter than the bidding period (3 working days)
        "deadline": to_local(utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "contact_name": "王五",
        "contact_phone": "023-67001234",
        "method": "direct",
        # the payment plan adds up to 90 %
        "milestones-0-title": "预付款",
        "milestones-0-percent": "30",
        "milestones-0-event": "signing",
        "milestones-0-days": "10",
        "milestones-1-title": "尾款",
        "milestones-1-percent": "60",
        "milestones-1-event": "acceptance",
        "milestones-1-days": "10",
    }
    page = client.post("/notices/new", data=form).get_data(as_text=True)
    assert "公告草稿已保存" not in page
    # both at once: the deadline and the plan
    assert "报价截止时间距发布不得少于 3 个工作日" in page
    assert "各付款节点比例合计应为 100%，现为 90%" in page
