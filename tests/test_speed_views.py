"""Work once, serve many: what a page shows is built once per snapshot content and choice.

The page-model builders are counted while pages run in AppTest: a rerun, a second session on
the same county and a widget the view does not depend on build nothing; a choice the view
depends on builds it once more (docs: README "Speed, and a province's server").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from test_app_pages import open_page

from dashboard.ui import cache, drilldown, mapview, overview


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    cache.clear_page_views()
    counts: Counter = Counter()
    for module, name in ((overview, "overview_view"), (mapview, "map_view"), (drilldown, "drill_view")):
        real = getattr(module, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            counts[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    yield counts
    cache.clear_page_views()  # no counted builder stays in the shared cache


def test_reruns_and_a_second_screen_reuse_the_overview(builds: Counter) -> None:
    at = open_page("overview", lang="zh")
    assert builds["overview_view"] == 1
    at.run()
    at.run()
    open_page("overview", lang="zh")  # a second screen on the same county and choices
    assert builds["overview_view"] == 1
    open_page("overview", lang="zh", scheme="quality")  # another choice: its own view
    assert builds["overview_view"] == 2


def test_the_map_is_rebuilt_for_its_own_controls_only(builds: Counter) -> None:
    at = open_page("map", lang="zh")
    assert builds["map_view"] == 1
    at.toggle(key="map_failing").set_value(True).run()
    assert builds["map_view"] == 2
    at.toggle(key="map_failing").set_value(False).run()  # back to a view already built
    at.run()
    assert builds["map_view"] == 2 and not at.exception


def test_the_drilldown_view_follows_its_indicator(builds: Counter) -> None:
    at = open_page("drilldown", lang="zh", ind="B1")
    assert builds["drill_view"] == 1
    at.run()
    assert builds["drill_view"] == 1
    at.selectbox(key="drill_indicator").set_value("B2").run()
    assert builds["drill_view"] == 2 and not at.exception


def test_the_planners_preview_plan_and_verdict_are_made_once(monkeypatch) -> None:
    """The planner page: a rerun and a second screen reuse the preview, the plan, its verdict
    (each was made on every rerun: about 150 ms) and its tables (the coefficients and each
    school's change took 12 ms of every rerun); other constraints make their own."""
    from dashboard.ui import planner_page

    cache.clear_page_views()
    counts: Counter = Counter()
    for name in ("run_preview", "run_plan", "after_verdict", "plan_tables"):
        real = getattr(planner_page, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            counts[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(planner_page, name, counted)
    try:
        at = open_page("planner", lang="zh", scheme="quality", stage="primary")
        once = Counter(run_preview=1, run_plan=1, after_verdict=1, plan_tables=1)
        assert counts == once, counts
        at.run()
        open_page("planner", lang="zh", scheme="quality", stage="primary")  # another screen
        assert counts == once, counts
        at.number_input(key="planner_min_years").set_value(3).run()  # other constraints
        assert counts == Counter({k: 2 for k in once}), counts
        assert not at.exception
    finally:
        cache.clear_page_views()


def test_shared_views_build_each_key_once_for_sessions_asking_at_once() -> None:
    """Eight threads (sessions) ask for one key while its build is slow: one build, one
    object for all; a second key is built beside it, not after it."""
    import threading
    import time

    views: cache.SharedViews[list] = cache.SharedViews(max_entries=4)
    built: Counter = Counter()
    start = threading.Barrier(9)

    def build(key: str) -> list:
        built[key] += 1
        time.sleep(0.05)
        return [key]

    got: list[list] = []

    def ask(key: str) -> None:
        start.wait()
        got.append(views.get((key,), lambda: build(key)))

    threads = [threading.Thread(target=ask, args=("a",)) for _ in range(8)]
    threads.append(threading.Thread(target=ask, args=("b",)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == Counter(a=1, b=1)
    assert len({id(v) for v in got if v == ["a"]}) == 1 and got.count(["a"]) == 8


def test_shared_views_keep_the_most_recently_used_and_store_no_failed_build() -> None:
    views: cache.SharedViews[int] = cache.SharedViews(max_entries=2)
    assert views.get(("a", 1), lambda: 1) == 1
    views.get(("b", 1), lambda: 2)
    views.get(("a", 1), lambda: 99)  # used again: "b" is now the oldest
    views.get(("c", 1), lambda: 3)
    assert sorted(views.keys()) == [("a", 1), ("c", 1)]

    def fails() -> int:
        raise ValueError("unreadable")

    with pytest.raises(ValueError):
        views.get(("d",), fails)
    assert ("d",) not in views.keys() and views.get(("d",), lambda: 4) == 4
    views.clear()
    assert views.keys() == []


def test_a_page_view_is_keyed_by_value_not_by_identity() -> None:
    """Keys equal in value find one view (a new tuple of new texts each rerun), keys that
    differ in one choice their own."""
    cache.clear_page_views()
    try:
        first = cache.page_view("t", ("".join(["36", "0123"]), 2024, "zh"), lambda: object())
        again = cache.page_view("t", ("360123", 2024, "zh"), lambda: object())
        other = cache.page_view("t", ("360123", 2024, "en"), lambda: object())
        assert first is again and other is not first
    finally:
        cache.clear_page_views()
