"""One post of the report as HTML, written in Python rather than as a Jinja macro: at 100k
posts the macro's call and attribute machinery cost more than the text itself.

Everything from a post is escaped (`escape`, `visible`, `post_text`); only the markup written
here is not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from pileon.report.data import ReportPost
from pileon.report.locale import Catalog
from pileon.report.text_html import post_text, short, utc, visible

__all__ = ["post_block_writer"]


def post_block_writer(t: Catalog, w: dict[str, str], *,
                      head_words: Callable[[str, str | None], str],
                      category_list: Callable[[Sequence[str]], str],
                      automated_by: Callable[[str | None], str],
                      folder_name: Callable[[str], str],
                      action_list: Callable[[Sequence[str]], str],
                      account_line: Callable[[ReportPost], str]) -> Callable[[ReportPost], Markup]:
    """`post_block(post)`: the article the report prints for one post."""
    unknown = escape(w["unknown"])
    words = {k: escape(v) for k, v in w.items()}

    def post_block(p: ReportPost) -> Markup:
        n = p.number
        out = [f'  <article class="post" id="post-{n}">\n    <p class="head"><b>#{n}</b> · '
               f'{escape(p.platform)} · {escape(head_words(p.kind, p.lang))}']
        if p.deleted_at_source:
            out.append(f' <span class="badge">'
                       f'{escape(t("deleted_at_source", at=utc(p.deleted_at_source)))}</span>')
        if p.marked_evidence:
            out.append(f' <span class="badge mine">{words["marked"]}</span>')
        out.append(f' · {words["posted"]} {escape(utc(p.created_at)) or unknown}')
        if p.local_time:
            out.append(f" · {escape(p.local_time)}")
        out.append(f' · {words["captured"]} {escape(utc(p.captured_at)) or unknown}<br>\n'
                   f'    <b>@{escape(p.handle) if p.handle else unknown}</b>')
        if p.display_name:
            out.append(f" ({visible(p.display_name)})")
        out.append(f' · {words["account_id"]} <code>{escape(p.author_id or w["unknown"])}'
                   f"</code> · {escape(account_line(p))}</p>\n")
        if p.parent_number:
            out.append(f'<p class="meta">{words["in_reply"]} <a href="#post-{p.parent_number}">'
                       f"#{p.parent_number}</a></p>\n")
        elif p.parent:
            out.append(f'<p class="meta parent">{words["in_reply"]}'
                       f' @{escape(p.parent.handle or w["unknown"])}'
                       f" ({escape(utc(p.parent.created_at))}): <span dir=\"auto\">"
                       f"{visible(short(p.parent.text))}</span></p>")
        out.append(f'    <div class="text" lang="{escape(p.lang or "und")}" dir="auto">'
                   f"{post_text(p.text, p.evidence)}</div>\n"
                   f'    <p class="meta">{words["labels"]}: ')
        if p.labels:
            out.append(f"{escape(category_list(p.labels))} ({escape(automated_by(p.model))})")
        else:
            out.append(words["not_labelled"])
        if p.labelled_by_user:
            out.append(f' · {words["user_labelled"]}')
        if p.folder:
            out.append(f' · {words["folder"]}: {escape(folder_name(p.folder))}')
        if p.cluster_id:
            out.append(f' · {escape(t("cluster_heading", id=p.cluster_id))}')
        if p.user_actions:
            out.append(f'<br>{words["decisions"]}: {escape(action_list(p.user_actions))}')
        for note in p.notes:
            out.append(f'<br><b>{words["note"]}:</b> {visible(note)}')
        out.append("</p>\n")
        for tr in p.translations:
            label = t("translation_by", lang=t.name("languages", tr.lang),
                      who=tr.translator or w["unknown"], at=utc(tr.added_at))
            out.append(f'    <div class="translation filled"><span class="label">'
                       f"{escape(label)}</span><br>{visible(tr.text)}</div>\n")
        out.append('    <p class="hash">')
        if p.url:
            out.append(f"{escape(p.url)}<br>")
        out.append(f'{words["post_id"]} {escape(p.post_id)}')
        if p.reply_to:
            out.append(f' · {words["reply_to"]} {escape(p.reply_to)}')
        if p.quote_of:
            out.append(f' · {words["quote_of"]} {escape(p.quote_of)}')
        if p.root_id:
            out.append(f' · {words["thread"]} {escape(p.root_id)}')
        out.append(f' · {words["raw"]} {escape(p.raw_sha256)}</p>\n  </article>\n')
        return Markup("".join(out))

    return post_block
