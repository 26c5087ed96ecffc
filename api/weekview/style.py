"""The week view's sizes and stylesheet, shared by the demo's page, `studyplanner week` and the
student's week page (weekview_embed.py).

The sizes are chosen so a short block stays legible: one pixel per minute, 13 px lines, 1 px of
padding. A 30-minute block (30 px) holds its time line and one whole title line; a block with
room for less than that (under ~28 minutes) puts time and title on one line. Titles wrap over
the lines a block has (cut at a line, never through one); the whole title is in the block's
tooltip, grows into view on hover, and is in the list beside the grid.
"""

from __future__ import annotations

DAY_START_HOUR = 7
DAY_END_HOUR = 23
HOUR_PX = 60
GRID_PX = (DAY_END_HOUR - DAY_START_HOUR) * HOUR_PX
LINE_PX = 13
PAD_PX = 1
BUSY_COLOR = "#9CA3AF"
# Distinct, readable on white text; used when the caller gives no colour for a course.
PALETTE = ("#2563EB", "#059669", "#DC2626", "#D97706", "#7C3AED", "#DB2777", "#0891B2", "#4D7C0F")


def title_lines(height_px: float) -> int:
    """How many whole title lines fit under the time line; 0 means a one-line block."""
    return max(0, int((height_px - 2 * PAD_PX - LINE_PX) // LINE_PX))


WEEK_BASE_CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;padding:16px 20px;font:13px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif;color:#111827;background:#fff}}
h1{{font-size:20px;margin:0 0 2px}}
.sub{{color:#6B7280;margin:0 0 10px}}
.layout{{display:flex;gap:16px;align-items:flex-start}}
.layout>.week{{flex:1 1 auto;min-width:0}}
.week{{display:grid;grid-template-columns:48px repeat(7,minmax(0,1fr));gap:0 4px}}
.axis{{position:relative;margin-top:62px;height:{GRID_PX}px}}
.axis span{{position:absolute;right:6px;transform:translateY(-50%);color:#6B7280;font-size:11px}}
.day h2{{margin:0;height:34px;font-size:14px;text-align:center}}
.day h2 small{{display:block;font-weight:normal;color:#6B7280;font-size:11px}}
.allday-row{{height:28px;padding:2px 0}}
.allday{{background:{BUSY_COLOR};color:#fff;border-radius:4px;padding:3px 6px;font-size:11px;
white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.column{{position:relative;height:{GRID_PX}px;border:1px solid #E5E7EB;border-radius:4px;
background:repeating-linear-gradient(to bottom,#fff 0,#fff {HOUR_PX - 1}px,#F3F4F6 {HOUR_PX - 1}px,
#F3F4F6 {HOUR_PX}px)}}
.column>.study,.column>.busy{{position:absolute;overflow:hidden;border-radius:4px;
padding:{PAD_PX}px 4px;color:#fff;font-size:11px;line-height:{LINE_PX}px;
box-shadow:0 1px 2px rgba(0,0,0,.15)}}
.busy{{opacity:.85;z-index:1;color:#1F2937!important}}
.study{{z-index:2}}
.when{{display:block;font-weight:600;opacity:.9;white-space:nowrap;overflow:hidden;
text-overflow:ellipsis}}
.what{{display:-webkit-box;-webkit-box-orient:vertical;overflow:hidden;overflow-wrap:anywhere}}
.short{{white-space:nowrap;text-overflow:ellipsis}}
.short .when,.short .what{{display:inline}}
.column>.study:hover{{z-index:10;height:auto!important;overflow:visible;
box-shadow:0 4px 12px rgba(0,0,0,.35)}}
.column>.study:hover .what{{display:block;-webkit-line-clamp:unset!important;overflow:visible}}
.column>.study.short:hover{{white-space:normal}}
.column>.study.short:hover .when{{display:block}}
.code{{font-weight:normal;opacity:.85;font-size:10px}}
.pinned{{outline:2px dashed #111827;outline-offset:-2px}}
.badge{{background:#111827;color:#fff;border-radius:3px;padding:0 3px;margin-right:4px;
font-size:9px;text-transform:uppercase}}
.done .what,.done .when{{text-decoration:line-through}}
.done{{opacity:.55}}
.faded{{opacity:.35}}
.now-line{{position:absolute;left:0;right:0;height:0;border-top:2px solid #DC2626;z-index:5;
pointer-events:none}}
.now-line::before{{content:"";position:absolute;left:-5px;top:-6px;width:10px;height:10px;
border-radius:50%;background:#DC2626}}
.now-line span{{position:absolute;right:2px;top:-16px;font-size:10px;font-weight:600;
color:#B91C1C;background:#fff;padding:0 2px}}
.legend{{list-style:none;display:flex;flex-wrap:wrap;gap:6px 16px;padding:0;margin:12px 0 0}}
.swatch{{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;
vertical-align:-2px}}
.pinned-sample{{outline:2px dashed #111827;outline-offset:-2px;background:#fff}}
.done-sample{{text-decoration:line-through;color:#6B7280}}
.agenda{{flex:0 0 330px;font-size:12px;line-height:1.35}}
.agenda h3{{font-size:14px;margin:0 0 6px}}
.agenda h4{{font-size:12px;margin:8px 0 2px;color:#374151}}
.agenda ol{{list-style:none;margin:0;padding:0}}
.agenda li{{margin:0 0 3px;padding-left:8px;border-left:4px solid var(--course)}}
.agenda li time{{font-weight:600;margin-right:4px}}
.agenda li.done{{text-decoration:line-through;opacity:.6}}
.agenda .tag{{font-size:10px;color:#6B7280}}
.at-risk{{margin-top:10px}}
.at-risk h3{{font-size:14px;margin:0 0 4px;color:#B91C1C}}
.at-risk ul{{margin:0;padding-left:18px}}
.note{{color:#6B7280;font-size:11px}}
"""
