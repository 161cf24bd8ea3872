"""OCDS records compiled from the releases with ocdsmerge. The merge rules are given here
rather than read from the release schema: ocdsmerge would otherwise fetch the schema over the
network. They are the OCDS 1.1.5 release schema's rules for the fields these releases use
(docs/opendata.md); every other list of objects is merged by its items' `id`."""

from ocdsmerge import Merger

#: OCDS 1.1.5 merge rules (path → rule) for the fields the releases carry: the release's own
#: id, date and tag are dropped from the compiled release; lists of strings and the lists
#: whose objects have no id replace the earlier list whole
MERGE_RULES = {
    ("id",): "omitWhenMerged",
    ("date",): "omitWhenMerged",
    ("tag",): "omitWhenMerged",
    ("parties", "roles"): "wholeListMerge",
    ("parties", "additionalIdentifiers"): "wholeListMerge",
    ("buyer", "additionalIdentifiers"): "wholeListMerge",
    ("tender", "submissionMethod"): "wholeListMerge",
    ("tender", "additionalProcurementCategories"): "wholeListMerge",
    ("tender", "items", "additionalClassifications"): "wholeListMerge",
    ("tender", "procuringEntity", "additionalIdentifiers"): "wholeListMerge",
    ("tender", "tenderers", "additionalIdentifiers"): "wholeListMerge",
    ("awards", "suppliers", "additionalIdentifiers"): "wholeListMerge",
    ("contracts", "implementation", "transactions", "payer", "additionalIdentifiers"): (
        "wholeListMerge"
    ),
    ("contracts", "implementation", "transactions", "payee", "additionalIdentifiers"): (
        "wholeListMerge"
    ),
}

_merger = Merger(merge_rules=MERGE_RULES)


def record(releases: list[dict]) -> dict:
    """The record of one ocid: its releases embedded, and the compiled release."""
    return {
        "ocid": releases[0]["ocid"],
        "releases": releases,
        "compiledRelease": _merger.create_compiled_release(releases),
    }
