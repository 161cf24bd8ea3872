"""The search quality report: the test records each backend's figures here, and the terminal
summary prints them (so `make test` shows precision@5 and recall, and the failing queries)."""

import pytest

#: backend → the run's figures (test_quality.Run), in the order the backends ran
RUNS = pytest.StashKey[dict]()


@pytest.fixture
def quality_report(request):
    """Where a quality test records a backend's run for the terminal summary."""
    return request.config.stash.setdefault(RUNS, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    runs = config.stash.get(RUNS, {})
    if not runs:
        return
    write = terminalreporter.write_line
    terminalreporter.section("search quality")
    for run in runs.values():
        write(run.headline())
        for line in run.by_category():
            write(line)
        rows = run.rows(every=config.option.verbose > 0)
        if rows:
            write("  " + ("queries:" if config.option.verbose > 0 else "failing queries:"))
            for line in rows:
                write(line)
