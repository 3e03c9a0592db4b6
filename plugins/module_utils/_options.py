# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Argument-spec blocks that several modules declare alike (each module's DOCUMENTATION still
describes them: ``amazon.aws.tags`` the tag options, its own ``options`` the wait options)."""


def tag_options():
    """``tags`` (alias ``resource_tags``; unset leaves the tags alone) and ``purge_tags``."""
    return dict(
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def wait_options(wait_timeout, wait=True):
    """``wait`` (default ``wait``) and ``wait_timeout`` in seconds (default ``wait_timeout``)."""
    return dict(
        wait=dict(type="bool", default=wait),
        wait_timeout=dict(type="int", default=wait_timeout),
    )
