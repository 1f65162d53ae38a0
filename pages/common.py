"""What every page shares: the page context (sidebar choices and the loaded data) and errors.

``app/main.py`` draws the sidebar once per run with :func:`draw_sidebar`; a page calls
:func:`page_context` and gets a frozen :class:`PageContext`.  The choices live in the URL
(``?lang=zh&snapshot=…&county=…&scheme=…&stage=…``), so a copied link reopens the view; a page
run on its own (AppTest ``from_file`` on a page) reads the same query parameters.

Page-level choices use :func:`url_select` / :func:`url_toggle`, which bind a widget to a query
parameter in the same way.  Every bound choice also has a session copy (``keep_<widget key>``),
so it survives the runs where its widget is not drawn and a URL that lost it (a page chosen in
the navigation, a switch to another page); :func:`page_link` and :func:`switch_page` carry the
sidebar's choices.  A sidebar value of the URL that names no option is said (in the user's
language) with the choice used instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import unquote, urlparse

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.store.choices import load_profile_choice
from dashboard.store.contract import ContractError
from dashboard.store.snapshots import (
    Snapshot,
    SnapshotError,
    SnapshotInfo,
    read_snapshot,
)
from dashboard.ui import cache, checklist
from dashboard.ui.evaluation import (
    SCHEMES,
    STAGES,
    Evaluation,
    county_labels,
    county_rows,
    history_snapshots,
    scheme_units,
)
from dashboard.ui.format import MAX_ERRORS_SHOWN, md_text, pick
from dashboard.ui.geo import GeoFile, Townships, geo_notices, townships

__all__ = [
    "PageContext",
    "page_context",
    "draw_sidebar",
    "show_error",
    "require_data",
    "safe_context",
    "start_page",
    "require_stage_units",
    "page_townships",
    "url_select",
    "url_toggle",
    "lazy_tabs",
    "url_value",
    "page_link",
    "carried",
    "page_file",
    "requested_path",
    "plain_text",
    "not_found_page",
    "redirected_path",
    "fitted",
    "NOT_FOUND_PATH",
    "switch_page",
    "PAGE_FILES",
    "REPO_ROOT",
    "DATA_ENV",
    "GEO_ENV",
    "PLOTLY_CONFIG",
    "STATUS_DELTA_COLOR",
]

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
DATA_ENV: Final = "JUNHENG_DATA"  # folder of snapshots, default <repo>/data
GEO_ENV: Final = "JUNHENG_GEO"  # folder of geography, default <repo>/geo
DEFAULTS: Final = {"scheme": "basic", "stage": "primary", "lang": DEFAULT_LANG}
SIDEBAR_KEYS: Final = {p: f"sidebar_{p}" for p in ("lang", "snapshot", "county", "scheme", "stage")}
KEEP: Final = "keep_"  # prefix of the non-widget copy of a bound widget's choice
KEPT_CHOICES: Final = 8  # recent choices kept per widget
REJECTED: Final = "url_rejected"  # sidebar parameters of this run's URL that named no option
# Plotly's toolbar without the logo; no MathJax is ever needed (no LaTeX in any text).
PLOTLY_CONFIG: Final = {"displaylogo": False, "modeBarButtonsToRemove": ["sendDataToCloud"]}

# st.metric delta colours of a status (pass / near / fail / missing)
STATUS_DELTA_COLOR: Final[dict[str, Literal["green", "orange", "red", "off"]]] = {
    "pass": "green", "near": "orange", "fail": "red", "missing": "off"}

# url path -> (file, catalogue key of the title); the order of the navigation.  No page icons:
# Streamlit fetches a material icon's favicon from fonts.gstatic.com, and emoji need an emoji font.
PAGE_FILES: Final = {
    "overview": ("pages/overview.py", "app.page.overview"),
    "map": ("pages/map.py", "app.page.map"),
    "urban-rural": ("pages/urban_rural.py", "app.page.urban_rural"),
    "drilldown": ("pages/drilldown.py", "app.page.drilldown"),
    "school": ("pages/school.py", "app.page.school"),
    "checklist": ("pages/checklist.py", "app.page.checklist"),
    "scenario": ("pages/scenario.py", "app.page.scenario"),
    "planner": ("pages/planner.py", "app.page.planner"),
    "present": ("pages/present.py", "app.page.present"),
    "data": ("pages/data.py", "app.page.data"),
}


@dataclass(frozen=True, eq=False)
class PageContext:
    """The sidebar's choices and the data they select (read-only for pages).

    ``snapshot`` is None when there is no snapshot at all (then ``evaluation`` is None and
    ``schools`` empty); ``geo`` is the townships GeoJSON of the county as read (its features,
    or whether the file is absent or unusable).  ``evaluation`` covers every county of the snapshot (engine default parameters);
    ``schools`` is the chosen county's rows only.
    """

    lang: str
    snapshot: Snapshot | None
    schools: pd.DataFrame
    county_code: str | None
    year: int | None
    scheme: str
    stage: str
    evaluation: Evaluation | None
    geo: GeoFile
    data_root: Path
    geo_root: Path = field(default=REPO_ROOT / "geo")
    snapshots: tuple[SnapshotInfo, ...] = ()

    def tr(self, key: str, /, **fields: object) -> str:
        """Return the catalogue text ``key`` in the user's language."""
        return t(key, self.lang, **fields)

    def history(self) -> Evaluation | None:
        """Return the evaluation of this county over every year with a snapshot (the trend).

        A year whose snapshot cannot be read is said (a warning in the user's language) and
        left out; the trend shows the years that can be read.
        """
        paths, stamps = self.history_key()
        return cache.load_history(paths, stamps) if paths else None

    def history_key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the snapshots of :meth:`history` (folders, content stamps), after saying
        which year cannot be read; empty when there is none."""
        if self.county_code is None:
            return (), ()
        chosen, stamps = [], []
        for info in history_snapshots(self.snapshots, self.county_code):
            stamp = cache.stamp(info.path)
            try:
                cache.load_evaluation(str(info.path), stamp)
            except (SnapshotError, ContractError) as exc:
                st.warning(t("store.damaged_year", self.lang, year=info.year,
                             id=md_text(info.id),
                             detail=md_text(_error_detail(exc, info.path, self.lang))))
                continue
            chosen.append(info)
            stamps.append(stamp)
        return tuple(str(s.path) for s in chosen), tuple(stamps)

    def view_key(self, *choices: object) -> tuple:
        """Return the key of a page view (dashboard.ui.cache.page_view) of this context: the
        snapshot's content and the evaluation's parameters, the county, year and language, the
        scheme and stage, ``choices``."""
        assert self.snapshot is not None and self.evaluation is not None
        return (cache.content_key(self.snapshot), repr(self.evaluation.params), self.county_code,
                self.year, self.lang, self.scheme, self.stage, *choices)


def _error_detail(exc: Exception, path: Path, lang: str) -> str:
    """Return the message of a snapshot's error in ``lang`` (cached loads raise in Chinese)."""
    if lang != DEFAULT_LANG:
        try:
            read_snapshot(path, lang=lang)
        except (SnapshotError, ContractError) as again:
            exc = again
    if isinstance(exc, ContractError):
        return "; ".join(v.message(lang) for v in exc.errors[:3])
    return str(exc)


def _roots() -> tuple[Path, Path]:
    data = Path(os.environ.get(DATA_ENV) or REPO_ROOT / "data")
    geo = Path(os.environ.get(GEO_ENV) or REPO_ROOT / "geo")
    return data, geo


def _requested(param: str) -> str | None:
    """Return the current choice for a sidebar parameter: the one the sidebar settled on this
    run (its session copy), else the URL's (a page run on its own)."""
    kept = _kept(SIDEBAR_KEYS[param])
    if kept:
        return str(kept[0])
    value = st.query_params.get(param)
    return None if value is None else str(value)


def _lang() -> str:
    return pick(_requested("lang"), LANGS, DEFAULT_LANG)


def page_context() -> PageContext:
    """Return the page context of this run (loads and evaluates the snapshot, cached).

    Raises the domain's own errors (SnapshotError, ContractError) in the user's language when
    the chosen snapshot cannot be read; pages pass them to :func:`show_error`.
    """
    lang = _lang()
    data_root, geo_root = _roots()
    infos = tuple(cache.snapshot_list(str(data_root)))
    scheme = pick(_requested("scheme"), SCHEMES, DEFAULTS["scheme"])
    stage = pick(_requested("stage"), STAGES, DEFAULTS["stage"])
    if not infos:
        return PageContext(lang=lang, snapshot=None, schools=pd.DataFrame(), county_code=None,
                           year=None, scheme=scheme, stage=stage, evaluation=None,
                           geo=GeoFile.absent(),
                           data_root=data_root, geo_root=geo_root, snapshots=infos)
    ids = [i.id for i in infos]
    info = infos[ids.index(pick(_requested("snapshot"), ids, ids[-1]))]
    county = pick(_requested("county"), info.county_codes, info.county_codes[0])
    path = str(info.path)
    stamp = cache.stamp(path)
    try:
        snapshot = cache.load_snapshot(path, stamp)
        evaluation = cache.load_evaluation(path, stamp)
    except (SnapshotError, ContractError):
        if lang == DEFAULT_LANG:
            raise
        read_snapshot(path, lang=lang)  # the same error, in the user's language
        raise
    # the profile chosen on the checklist page, with the snapshot's class and room rows,
    # judges the basic school rule on every page (judged once per content and profile)
    profile, loaded = _profile_choice(data_root, county, info.year), evaluation
    evaluation = cache.page_view("judged", (cache.content_key(snapshot), profile), lambda: (
        checklist.evaluation_with_profile(loaded, profile, snapshot.classes, snapshot.rooms)))
    geo_path = geo_root / county / "townships.geojson"
    geo = cache.load_geojson(str(geo_path), cache.stamp(geo_path))
    # the county's rows once per content, shared read-only like the snapshot they come from
    schools = cache.page_view("county_rows", (cache.content_key(snapshot), county), lambda: (
        county_rows(snapshot.schools, county)))
    return PageContext(
        lang=lang, snapshot=snapshot, schools=schools,
        county_code=county, year=info.year, scheme=scheme, stage=stage, evaluation=evaluation,
        geo=geo, data_root=data_root, geo_root=geo_root, snapshots=infos)


def _profile_choice(data_root: Path, county: str, year: int) -> str | None:
    """Return the profile the pages judge by: the URL's, else the one the county chose for this
    year (saved on the checklist page, dashboard.store.choices), else this session's."""
    kept = _kept(checklist.PROFILE_KEY)
    return (url_value(checklist.PROFILE_PARAM) or load_profile_choice(data_root, county, year)
            or (str(kept[0]) if kept else None))


def _bind(key: str, param: str, options: Sequence[Any], default: Any) -> Callable[[], None]:
    """Give the widget ``key`` its value for this run and return its on_change callback.

    A valid value in the URL wins (a link opened, a reload, a page switch carrying a choice);
    otherwise the latest of this session's recent choices that is an option (non-widget
    copies, which survive the runs where the widget is not drawn), else ``default``.  The value is assigned to the widget on
    every run: a widget's value travels as its option *label*, so after a language switch the
    browser would otherwise hold a label that is no longer an option.  The callback writes a
    changed value to the URL and to the copy before the rerun.
    """
    options = list(options)
    requested = st.query_params.get(param)
    value = pick(requested, options, None)
    if requested is not None and value is None and key == SIDEBAR_KEYS.get(param):
        _rejected()[param] = str(requested)
    for kept in _kept(key) if value is None else ():
        value = pick(kept, options, None)
        if value is not None:
            break
    if value is None:
        value = default if default in options else options[0]
    st.session_state[key] = value
    _keep(key, value)

    def sync() -> None:
        _keep(key, st.session_state[key])
        st.query_params[param] = str(st.session_state[key])

    return sync


def _write_param(param: str, value: str) -> None:
    """Put ``value`` in the URL's ``param`` unless it is there already: every write sends the
    browser a message (five to seven on every run of every page, for nothing)."""
    if st.query_params.get(param) != value:
        st.query_params[param] = value


def _kept(key: str) -> list[Any]:
    """Return the session's recent choices of the widget ``key``, the latest first (a page's
    indicator of each scheme: back on a scheme, its last indicator is found again)."""
    found = st.session_state.get(KEEP + key)
    return list(found) if isinstance(found, list) else []


def _keep(key: str, value: Any) -> None:
    st.session_state[KEEP + key] = [value, *(v for v in _kept(key) if v != value)][:KEPT_CHOICES]


def _rejected() -> dict[str, str]:
    """Return the sidebar parameters of this run's URL that named no option (param → value).

    (A page's own parameter is not named: it is often an option of another scheme's list,
    left in the URL when the scheme changed.)
    """
    found = st.session_state.get(REJECTED)
    if not isinstance(found, dict):
        found = {}
        st.session_state[REJECTED] = found
    return found


def carried(**extra: str) -> dict[str, str]:
    """Return the sidebar's choices as query parameters, updated with ``extra`` (for a link
    or a page switch: Streamlit replaces the URL's parameters with the ones given)."""
    out = {p: str(st.query_params[p]) for p in SIDEBAR_KEYS if p in st.query_params}
    out.update(extra)
    return out


def draw_sidebar() -> str:
    """Draw the sidebar choices (language, snapshot/year, county, scheme, stage); return lang.

    Each choice is written back to the URL, so the address bar always reopens this view.
    """
    bar = st.sidebar
    st.session_state[REJECTED] = {}
    key = SIDEBAR_KEYS["lang"]
    sync = _bind(key, "lang", LANGS, DEFAULT_LANG)
    lang = str(st.session_state[key])
    bar.radio(t("app.sidebar.lang", lang), LANGS, key=key, horizontal=True, on_change=sync,
              format_func=lambda code: t("lang.name", code))
    lang = str(st.session_state[key])
    _write_param("lang", lang)

    data_root, _ = _roots()
    infos = cache.snapshot_list(str(data_root))
    for damaged in cache.damaged_snapshots(data_root, lang):
        st.warning(t("store.damaged_snapshot", lang, id=md_text(damaged.id),
                     detail=md_text(damaged.message)))
    if infos:
        ids = [i.id for i in infos]
        by_id = {i.id: i for i in infos}
        key = SIDEBAR_KEYS["snapshot"]
        # a new session opens the latest year's newest snapshot (a corrected year is a new one)
        newest = max(infos, key=lambda i: (i.year, i.created, i.id)).id
        sync = _bind(key, "snapshot", ids, newest)
        bar.selectbox(t("app.sidebar.snapshot", lang), ids, key=key, on_change=sync,
                      format_func=lambda i: t("app.sidebar.snapshot_option", lang,
                                              year=by_id[i].year, id=i),
                      help=t("app.sidebar.snapshot_help", lang))
        _write_param("snapshot", str(st.session_state[key]))
        chosen = by_id[str(st.session_state[key])]
        counties = chosen.county_codes
        names = _county_names(chosen.path, lang)
        key = SIDEBAR_KEYS["county"]
        sync = _bind(key, "county", counties, counties[0])
        if len(counties) > 1:
            bar.selectbox(t("app.sidebar.county", lang), counties, key=key, on_change=sync,
                          format_func=lambda code: names.get(code, code))
        else:  # one county: named under the year, so that every page says whose data it is
            bar.caption(md_text(names.get(counties[0], counties[0])))
        _write_param("county", str(st.session_state[key]))
        # the rules every page's verdicts follow (chosen on the checklist page)
        chosen_profile = _profile_choice(data_root, str(st.session_state[key]), chosen.year)
        if chosen_profile not in checklist.profile_options():  # absent or unknown: the default
            chosen_profile = checklist.default_profile()
        bar.caption(t("rules.sidebar.profile", lang,
                      name=md_text(checklist.profile_label(chosen_profile, lang))))
    for param, options in (("scheme", SCHEMES), ("stage", STAGES)):
        key = SIDEBAR_KEYS[param]
        sync = _bind(key, param, options, DEFAULTS[param])
        bar.radio(t(f"app.sidebar.{param}", lang), options, key=key, horizontal=True,
                  on_change=sync, format_func=lambda code, p=param: t(f"{p}.{code}", lang))
        _write_param(param, str(st.session_state[key]))
    for param, value in _rejected().items():
        st.warning(t("nav.bad_param", lang, param=param, value=plain_text(value),
                     used=_choice_text(param, str(st.session_state[SIDEBAR_KEYS[param]]), lang)))
    return lang


def _county_names(path: Path, lang: str) -> dict[str, str]:
    """Return county code -> '青山县（360123）' of a snapshot (the cached load the page makes
    anyway); codes alone when it cannot be read (the page then says why)."""
    stamp = cache.stamp(path)
    try:
        # named once per content and language for every session (a sidebar runs on every rerun)
        return cache.page_view("county_names", (str(path), stamp, lang), lambda: county_labels(
            cache.load_snapshot(str(path), stamp).schools, lang))
    except (SnapshotError, ContractError, OSError, ValueError):
        return {}


def _choice_text(param: str, value: str, lang: str) -> str:
    """Return the text of a sidebar choice as its widget shows it."""
    if param == "lang":
        return t("lang.name", value)
    if param in ("scheme", "stage"):
        return t(f"{param}.{value}", lang)
    return value


def url_value(param: str) -> str | None:
    """Return the query parameter ``param`` of the URL, or None."""
    value = st.query_params.get(param)
    return None if value is None else str(value)


def url_select(label: str, options: Sequence[Any], *, param: str, key: str,
               default: Any = None, format_func: Callable[[Any], str] = str,
               widget: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """Return the choice of a select widget bound to the query parameter ``param``.

    ``widget`` is ``st.selectbox`` (default) or ``st.radio``; the choice starts from the URL
    and is written back to it.  Options are compared as text.  None when there is no option.
    """
    options = list(options)
    if not options:
        return None
    sync = _bind(key, param, options, default)
    draw = widget or st.selectbox
    value = draw(label, options, key=key, format_func=format_func, on_change=sync, **kwargs)
    _write_param(param, str(value))
    return value


def url_toggle(label: str, *, param: str, key: str, default: bool = False, **kwargs: Any) -> bool:
    """Return the state of a toggle bound to the query parameter ``param`` ("1"/"0")."""
    wanted = url_value(param)
    if wanted in ("0", "1"):
        value = wanted == "1"
    else:
        value = bool(next(iter(_kept(key)), default))
    st.session_state[key] = value
    _keep(key, value)

    def sync() -> None:
        _keep(key, bool(st.session_state[key]))
        st.query_params[param] = "1" if st.session_state[key] else "0"

    value = bool(st.toggle(label, key=key, on_change=sync, **kwargs))
    _write_param(param, "1" if value else "0")
    return value


def lazy_tabs(key: str, labels: dict[str, str]) -> dict[str, Any]:
    """Draw tabs whose content is run only while open, and return kind -> tab container.

    ``labels`` maps each tab's kind (a fixed name) to its label in the user's language.  These
    are Streamlit's stateful tabs (``on_change="rerun"``): a click on a tab reruns the page and
    a container's ``.open`` says whether it is the open one; the page draws only that one (a
    closed tab's widgets cost every rerun as much as an open one's, issue 15).  The open tab is
    also kept as its kind: a language switch relabels the tabs, and the same kind opens again.
    In a test, open one with ``at.session_state[key] = label``.
    """
    kinds = list(labels)
    if st.session_state.get(key) not in labels.values():  # new labels: the kind kept opens
        kept = next((k for k in _kept(key) if k in labels), None)
        if kept is not None:
            st.session_state[key] = labels[kept]
    # (no ``default=``: it is part of the widget's identity, and would make a new widget of
    # the tabs each time the open tab changed)
    tabs = st.tabs(list(labels.values()), key=key, on_change="rerun")
    by_kind = dict(zip(kinds, tabs, strict=True))
    _keep(key, next((k for k, tab in by_kind.items() if tab.open), kinds[0]))
    return by_kind


def page_file(page: str) -> str:
    """Return the absolute path of a page file given as in PAGE_FILES ('pages/school.py').

    Streamlit resolves a page path against the entry script's folder (``app/``), which is not
    where ``pages/`` is; an absolute path names the page registered by ``st.navigation``.
    """
    return str(REPO_ROOT / page)


def page_link(page: str, label: str, icon: str | None = None,
              query_params: dict[str, str] | None = None, help: str | None = None) -> None:
    """Draw a link to another page of the navigation carrying the sidebar's choices and
    ``query_params`` (nothing when the page runs on its own, outside the navigation); ``help``
    is its tooltip."""
    try:
        st.page_link(page_file(page), label=label, icon=icon, help=help,
                     query_params=carried(**(query_params or {})))
    except StreamlitPageNotFoundError:
        pass


def switch_page(page: str, query_params: dict[str, str] | None = None) -> None:
    """Switch to another page of the navigation (``page`` as in PAGE_FILES), carrying the
    sidebar's choices and ``query_params``."""
    st.switch_page(page_file(page), query_params=carried(**(query_params or {})))


def requested_path() -> str:
    """Return the page part of the browser's address ('' at the app's root; '' when unknown).

    ``st.context.url`` is the address without its query; the server's ``baseUrlPath`` is
    taken off its path.
    """
    url = st.context.url
    if not url:
        return ""
    path = unquote(urlparse(url).path).strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base):].strip("/")
    return path


def plain_text(text: str, limit: int = 60) -> str:
    """Return ``text`` from a URL made safe to show in a Markdown message: cut to ``limit``
    characters, Markdown and HTML signs escaped."""
    return md_text(text, limit)


def fitted(widths: dict[str, int]) -> dict[str, Any]:
    """Column settings that make a table fit the page: each width, the full header as help
    (see ``dashboard.ui.planner_page.column_widths``)."""
    return {c: st.column_config.Column(width=w, help=c) for c, w in widths.items()}


# The hidden page that app/serve.py sends an address of several segments (/a/b) to.
NOT_FOUND_PATH: Final = "not-found"


def redirected_path() -> str:
    """Return the address app/serve.py redirected to the not-found page (its ``path``)."""
    return str(st.query_params.get("path") or NOT_FOUND_PATH)


def not_found_page(path: str) -> Callable[[], None]:
    """Return the page shown at the unknown address ``/path``: what was not found, in the
    user's language, and a link to every page (carrying the sidebar's choices)."""

    def not_found() -> None:
        lang = _lang()
        st.title(t("nav.not_found.title", lang))
        st.warning(t("nav.not_found.body", lang, path=plain_text(path)))
        for file, key in PAGE_FILES.values():
            if (REPO_ROOT / file).is_file():
                page_link(file, t(key, lang))

    return not_found


def show_error(exc: BaseException, lang: str | None = None) -> None:
    """Render a domain error (contract, snapshot, bad argument) as an error box, no traceback."""
    lang = lang or _lang()
    if isinstance(exc, ContractError):
        st.error(t("app.error.contract", lang, count=len(exc.errors)))
        st.code("\n".join(v.message(lang) for v in exc.errors[: MAX_ERRORS_SHOWN]),
                language=None)
    elif isinstance(exc, SnapshotError):
        st.error(t("app.error.snapshot", lang, detail=md_text(str(exc), 2000)))
    else:
        st.error(t("app.error.generic", lang, kind=type(exc).__name__,
                   detail=md_text(str(exc), 2000)))


def require_data(ctx: PageContext) -> None:
    """Stop the page with a clear message when there is no snapshot or no unit to show."""
    if ctx.snapshot is None or ctx.evaluation is None:
        st.info(ctx.tr("app.empty.no_snapshots", root=md_text(ctx.data_root)))
        st.stop()
    if ctx.schools.empty:
        st.warning(ctx.tr("app.empty.no_schools", county=md_text(ctx.county_code), year=ctx.year))
        st.stop()


@dataclass(frozen=True, eq=False)
class ReadyContext(PageContext):
    """A page context with data: a snapshot, its evaluation, a county and a year (what
    :func:`start_page` returns once :func:`require_data` has let the page go on)."""

    snapshot: Snapshot
    county_code: str
    year: int
    evaluation: Evaluation


def start_page(title_key: str) -> ReadyContext:
    """Return the page context after drawing the page title (catalogue key ``title_key``).

    Stops the page with a clear message when the data cannot be read or there is none.
    """
    ctx = safe_context()
    st.title(ctx.tr(title_key))
    require_data(ctx)
    assert ctx.snapshot is not None and ctx.evaluation is not None  # require_data stopped otherwise
    assert ctx.county_code is not None and ctx.year is not None
    return ReadyContext(**{f.name: getattr(ctx, f.name) for f in fields(ctx)})


def require_stage_units(ctx: PageContext) -> pd.DataFrame:
    """Return the units of the chosen scheme and stage; stop with a message when there is none."""
    ev, county, year = ctx.evaluation, ctx.county_code, ctx.year
    assert ev is not None and county is not None and year is not None
    units = cache.page_view("stage_units", ctx.view_key(),
                            lambda: scheme_units(ev, ctx.scheme, county, year, ctx.stage))
    if units.empty:
        st.info(ctx.tr("app.empty.no_stage", stage=ctx.tr(f"stage.{ctx.stage}")))
        st.stop()
    return units


def page_townships(ctx: PageContext, *, absent: str = "warning") -> Townships:
    """Return the drawable townships of the county after saying what is wrong with its
    geography: no file (an ``absent`` 'warning' or 'caption'), an unusable file (an error),
    township outlines that could not be drawn (a caption with their number)."""
    geo = ctx.geo
    found = cache.page_view("townships", (geo.path, cache.stamp(geo.path), geo.state), lambda: townships(geo))
    say: dict[str, Callable[[str], object]] = {"warning": st.warning, "error": st.error,
                                               "caption": st.caption}
    for notice in geo_notices(ctx.geo, found, ctx.county_code, ctx.lang, absent_level=absent):
        say[notice.level](notice.text)
    return found


def safe_context() -> PageContext:
    """Return the page context, or show the error in the user's language and stop the page."""
    try:
        return page_context()
    except (SnapshotError, ContractError, ValueError, KeyError, OSError) as exc:
        show_error(exc)
        st.stop()
        raise  # unreachable: st.stop raises
