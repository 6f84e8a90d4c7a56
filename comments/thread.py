"""
Turning the thread's rows, already in display order, into what the page nests.

One pass over one query: no query per comment and no recursive template.
"""

from comments.models import Comment


def visible(comments):
    """Drop removed comments unless a shown reply still needs them as a placeholder."""
    kept, needed = [], set()
    for comment in reversed(comments):
        if comment.status != Comment.Status.REMOVED or comment.pk in needed:
            kept.append(comment)
            if comment.parent_id:
                needed.add(comment.parent_id)
    kept.reverse()
    return kept


def nest(comments):
    """
    Mark each comment with where nested lists open and close around it.

    `opens` starts a list of replies inside the previous comment; `closes`
    counts the lists to close after it. Levels are counted among the shown
    comments, so a hidden parent never leaves a gap.
    """
    levels = {}
    for comment in comments:
        parent_level = levels.get(comment.parent_id, 0)
        levels[comment.pk] = parent_level + 1
        comment.level = parent_level + 1
    previous_level = 0
    for index, comment in enumerate(comments):
        comment.opens = comment.level > previous_level
        following = comments[index + 1].level if index + 1 < len(comments) else 0
        comment.closes = range(max(comment.level - following, 0))
        previous_level = comment.level
    return comments
