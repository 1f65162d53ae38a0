"""数据管理 Data: fill-in templates, an upload checked and previewed before it becomes a
snapshot, the list of snapshots with their comparison, and the trash (deleting can be undone).

This page works without any snapshot: it is how a county's first data get in.
"""

from functools import partial

import streamlit as st

from dashboard.store.boundaries import boundary_lines, saved_pairing, write_boundaries
from dashboard.store.compare import compare_schools
from dashboard.store.files import writable, write_problem
from dashboard.store.importing import free_snapshot_id, preview_lines, write_staged
from dashboard.store.mappings import save_mappings
from dashboard.store.snapshots import SnapshotError
from dashboard.store.trash import list_trash, move_to_trash, restore
from dashboard.ui import boundary_page as bp
from dashboard.ui import data_page as dp
from dashboard.ui.cache import (
    content_key,
    files_stamp,
    load_snapshot,
    page_view,
    refresh_snapshot_list,
    snapshot_health,
    stamp,
)
from dashboard.ui.evaluation import county_name
from dashboard.ui.export import XLSX_MIME
from dashboard.ui.format import md_text, table_height
from dashboard.ui.frozen import frozen_table
from pages.common import lazy_tabs, safe_context

ctx = safe_context()
lang, root, state = ctx.lang, ctx.data_root, st.session_state
st.title(ctx.tr("app.page.data"))
st.caption(ctx.tr("data.caption"))
# A read-only data folder (a replica, a read-only share) still serves every page; writing is
# off here and said once (README "Several machines", docs/operations.md).
read_only = not writable(root)
if read_only:
    st.warning(ctx.tr("ops.read_only.banner", folder=md_text(root)))
flash = state.pop("data_flash", None)
if flash:
    {"success": st.success, "error": st.error}[flash[0]](flash[1])

# The snapshots' and the templates' tabs are drawn only when open (a third of the page's
# rerun, issue 15).  The import and boundary tabs always are: their file uploaders hold the
# user's files, which a tab not drawn would drop.
tabs = lazy_tabs("data_tab", {"import": ctx.tr("data.tab.import"),
                              "snapshots": ctx.tr("data.tab.snapshots"),
                              "boundary": ctx.tr("boundary.page.tab"),
                              "templates": ctx.tr("data.tab.templates")})
upload_tab, boundary_tab = tabs["import"], tabs["boundary"]

with boundary_tab:
    if ctx.snapshot is None or ctx.county_code is None:
        st.info(ctx.tr("boundary.page.need_snapshot"))
    else:
        county_text = page_view("data_county_name", ctx.view_key(), lambda: (
            md_text(county_name(ctx.schools, ctx.county_code, lang))))
        st.markdown(ctx.tr("boundary.page.intro", county=county_text))
        towns_up = st.file_uploader(ctx.tr("boundary.page.townships"), type=bp.BOUNDARY_TYPES,
                                    key="geo_up_towns")
        outline_up = st.file_uploader(ctx.tr("boundary.page.outline_file"),
                                      type=bp.BOUNDARY_TYPES, key="geo_up_outline")
        crs = st.selectbox(ctx.tr("boundary.page.crs"), bp.crs_choices(), key="geo_crs",
                           format_func=lambda c: bp.crs_text(c, lang))
        pending = state.setdefault("geo_pairs", {})
        if towns_up is None:
            state.pop("geo_staged", None)
        elif st.button(ctx.tr("boundary.page.check"), key="geo_check", type="primary") or (
                "geo_staged" in state and state.pop("geo_restage", False)):
            files = [dp.Upload(role, f.name, f.getvalue())
                     for role, f in (("townships", towns_up), ("outline", outline_up)) if f is not None]
            state["geo_staged"] = bp.stage_boundary_uploads(
                ctx.schools, ctx.county_code, files, crs=crs, name_column=state.get("geo_name_column"),
                pairing={**saved_pairing(ctx.geo_root, ctx.county_code), **pending}, lang=lang)
        found = state.get("geo_staged")
        if found is not None and found.staged is None:
            st.error(md_text(found.message))
        elif found is not None:
            staged = found.staged
            for line in boundary_lines(staged, lang):
                st.text(line)
            st.plotly_chart(bp.preview_figure(staged, ctx.schools, lang), key="geo_preview",
                            config={"displaylogo": False})
            placed = bp.placement_table(staged, lang)
            if len(placed):
                st.dataframe(placed, hide_index=True, key="geo_placed")
            with st.form("geo_pairing"):
                column = st.selectbox(ctx.tr("boundary.page.name_column"), staged.name_columns,
                                      index=staged.name_columns.index(staged.name_column))
                pairs = {name: st.selectbox(
                    ctx.tr("boundary.page.pair", name=md_text(name)),
                    [None, *staged.match.townships_without_polygon],
                    format_func=lambda x: ctx.tr("boundary.page.pair_none") if x is None else str(x),
                    key=f"geo_pair_{i}") for i, name in enumerate(staged.match.unmatched_polygons)}
                if st.form_submit_button(ctx.tr("boundary.page.recheck")):
                    state["geo_name_column"] = column
                    pending.update({k: v for k, v in pairs.items() if v is not None})
                    state["geo_restage"] = True
                    st.rerun()
            if st.button(ctx.tr("boundary.page.write"), key="geo_write", type="primary"):
                try:
                    folder = write_boundaries(ctx.geo_root, staged)
                except OSError as exc:  # a read-only geo folder, a full disk
                    st.error(md_text(write_problem(exc, ctx.geo_root, lang)))
                    st.stop()
                for key in ("geo_staged", "geo_pairs", "geo_name_column"):
                    state.pop(key, None)
                state["data_flash"] = ("success", ctx.tr("boundary.page.written",
                                                         path=md_text(folder.name)))
                st.rerun()

if tabs["templates"].open:
    with tabs["templates"]:
        st.markdown(ctx.tr("data.templates.intro"))
        for key, name, data in dp.templates(lang):
            # handed over when clicked (a callable): given as bytes, each rerun registered the
            # five workbooks with Streamlit's media files again (7 % of the page's rerun)
            st.download_button(ctx.tr(key), partial(bytes, data), file_name=name,
                               mime=XLSX_MIME, key=f"tpl_{name}", on_click="ignore")

with upload_tab:
    st.markdown(ctx.tr("data.upload.intro"))
    picked = {role: st.file_uploader(ctx.tr(f"data.upload.{role}"), type=["xlsx", "csv", "parquet"],
                                     key=f"data_up_{role}") for role in dp.ROLES}
    left, right = st.columns(2)
    year = left.number_input(ctx.tr("data.upload.year"), min_value=2000, max_value=2100,
                             value=None, step=1, key="data_year")
    county = right.text_input(ctx.tr("data.upload.county_code"), key="data_county", max_chars=6)
    uploads = [dp.Upload(role, f.name, f.getvalue()) for role, f in picked.items() if f is not None]
    # drawn before any file is chosen too (greyed): the intro says "press Check"
    checked = st.button(ctx.tr("data.upload.check"), key="data_check", type="primary",
                        disabled=not uploads)
    if uploads and checked:
        state["data_staged"] = dp.stage_uploads(root, uploads, int(year) if year else None,
                                                county.strip() or None, lang)
    result = state.get("data_staged")
    if result is not None and not uploads:
        state.pop("data_staged")
        result = None
    if result is not None and result.preview is None:
        st.error(md_text(result.message))  # may quote a file name: text, never markup
        if result.violations:
            table = dp.violation_table(result.violations, lang)
            st.dataframe(table, hide_index=True, key="data_errors",
                         height=table_height(table, max_rows=20))
        for name, data in result.marked:
            st.download_button(ctx.tr("data.upload.marked", name=md_text(name)), data, file_name=name,
                               mime=XLSX_MIME, key=f"data_marked_{name}")
        for u in result.unmapped:  # columns the file names its own way: pair them once
            with st.form(f"data_map_{u.role}"):
                st.markdown(ctx.tr("data.map.intro", file=md_text(u.file)))
                labels = dp.column_labels(u.role, lang)
                pairs = {column: st.selectbox(labels[column], [None, *u.unknown],
                                              format_func=lambda h: ctx.tr("data.map.none")
                                              if h is None else str(h),
                                              key=f"data_map_{u.role}_{column}")
                         for column in u.missing}
                if st.form_submit_button(ctx.tr("data.map.apply")):
                    chosen = {str(h): c for c, h in pairs.items() if h is not None}
                    if chosen:
                        save_mappings(root, county.strip() or None, {u.role: chosen})
                        state["data_staged"] = dp.stage_uploads(
                            root, uploads, int(year) if year else None, county.strip() or None,
                            lang)
                        st.rerun()
    elif result is not None:
        pv = result.preview
        for line in preview_lines(pv, lang):
            st.text(line)
        if pv.staged.warnings:
            with st.expander(ctx.tr("data.upload.warnings", n=len(pv.staged.warnings))):
                st.dataframe(dp.violation_table(pv.staged.warnings, lang), hide_index=True)
        if pv.diff is not None:
            with st.expander(ctx.tr("data.upload.changes")):
                st.dataframe(dp.change_table(pv.diff, lang), hide_index=True)
        offered = free_snapshot_id(root, pv.staged)  # a new name, a new box: never a stale one
        sid = st.text_input(ctx.tr("data.upload.id"), value=offered, key=f"data_id:{offered}")
        if st.button(ctx.tr("data.upload.write"), key="data_write", type="primary",
                     disabled=read_only):
            try:
                path = write_staged(root, sid.strip(), pv.staged, lang)
            except SnapshotError as exc:
                st.error(md_text(exc))
            except OSError as exc:  # a full disk, a folder gone read-only: nothing was written
                st.error(md_text(write_problem(exc, root, lang)))
            else:
                state.pop("data_staged")
                refresh_snapshot_list()
                st.query_params["snapshot"] = path.name  # every page opens the new snapshot
                state["data_flash"] = ("success", ctx.tr("data.upload.written", id=md_text(path.name)))
                st.rerun()


def snapshots_tab() -> None:
    """The snapshots, their comparison, their deletion and the trash."""
    infos = ctx.snapshots
    if not infos:
        st.info(ctx.tr("app.empty.no_snapshots", root=ctx.tr("data.root")))
    else:
        stamps = tuple(files_stamp(i.path) for i in infos)  # any file replaced: checked again

        def snapshots_view() -> tuple[dict, object]:
            found = {i.id: snapshot_health(str(i.path), s, lang) for i, s in zip(infos, stamps, strict=True)}
            return found, frozen_table(dp.snapshot_table(infos, found, lang))

        health, table = page_view("data_snapshots", (tuple(map(repr, infos)), stamps, lang), snapshots_view)
        st.dataframe(table, hide_index=True, key="data_snapshots", height=table_height(table))
        for _, problem in health.values():
            if problem is not None:
                st.error(md_text(problem))
        ids = [i.id for i in infos]
        st.subheader(ctx.tr("data.compare.heading"))
        a, b = st.columns(2)
        listed = dp.list_key(ids)  # a changed list starts the comparison afresh (the newest)
        before = a.selectbox(ctx.tr("data.compare.before"), ids, key=f"data_cmp_a:{listed}")
        after = b.selectbox(ctx.tr("data.compare.after"), ids, index=len(ids) - 1,
                            key=f"data_cmp_b:{listed}")
        if before != after:
            try:
                pair = [load_snapshot(str(root / i), stamp(root / i)) for i in (before, after)]
                # compared once per pair of contents, for every session (80 ms on the demo)
                diff = page_view("data_compare", tuple(content_key(x) for x in pair),
                                 lambda: compare_schools(pair[0].schools, pair[1].schools))
            except (SnapshotError, ValueError) as exc:
                st.error(md_text(exc))
            else:
                # the summary and the table once per pair and language (Arrow made once)
                summary, changes = page_view("data_changes", (*(content_key(x) for x in pair), lang),
                                             lambda: (ctx.tr("data.compare.summary", added=len(diff.added),
                                                             gone=len(diff.gone),
                                                             changed=diff.changed_schools),
                                                      frozen_table(dp.change_table(diff, lang))))
                st.text(summary)
                st.dataframe(changes, hide_index=True, key="data_changes")
        st.subheader(ctx.tr("data.delete.heading"))
        doomed = st.selectbox(ctx.tr("data.delete.which"), ids, index=None, key="data_delete",
                              placeholder=ctx.tr("data.delete.placeholder"))
        if doomed is not None and st.checkbox(ctx.tr("data.delete.confirm", id=md_text(doomed)),
                                              key="data_delete_ok"):
            if st.button(ctx.tr("data.delete.button"), key="data_delete_go", disabled=read_only):
                try:
                    move_to_trash(root, doomed, lang)
                except (SnapshotError, OSError) as exc:  # gone meanwhile, or not ours to move
                    st.error(md_text(exc))
                    st.stop()
                refresh_snapshot_list()
                if st.query_params.get("snapshot") == doomed:  # the sidebar takes the latest
                    del st.query_params["snapshot"]
                state["data_flash"] = ("success", ctx.tr("data.delete.done", id=md_text(doomed)))
                st.rerun()
    trashed = list_trash(root)
    if trashed:
        st.subheader(ctx.tr("data.trash.heading"))
        st.dataframe(dp.trash_table(trashed, lang), hide_index=True, key="data_trash")
        labels = {e.path.name: dp.trash_label(e) for e in trashed}
        back = st.selectbox(ctx.tr("data.trash.which"), list(labels), format_func=labels.__getitem__,
                            key="data_restore")
        if st.button(ctx.tr("data.trash.restore"), key="data_restore_go", disabled=read_only):
            entry = next(e for e in trashed if e.path.name == back)
            try:
                restore(root, entry, lang)
            except SnapshotError as exc:
                st.error(md_text(exc))
            except OSError as exc:
                st.error(md_text(write_problem(exc, root, lang)))
            else:
                refresh_snapshot_list()
                state["data_flash"] = ("success", ctx.tr("data.trash.done", id=md_text(entry.snapshot_id)))
                st.rerun()


if tabs["snapshots"].open:
    with tabs["snapshots"]:
        snapshots_tab()
