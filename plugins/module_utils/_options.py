# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Argument-spec blocks that several modules declare alike. Their documentation: the doc fragments
``amazon.aws.tags`` (the tag options) and ``invoice.platform.postgres`` (the database options);
the wait options in each module's own ``options``, since what is waited for, and how long by
default, is the module's."""


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


def database_options(prefix=""):
    """``<prefix>database_url`` (required) and ``<prefix>password`` (wins over one in the URL), both
    kept out of the logs: what ``dr.parse_database_url(url, password)`` connects with."""
    return {
        f"{prefix}database_url": dict(type="str", required=True, no_log=True),
        f"{prefix}password": dict(type="str", no_log=True),
    }


def dict_list(**options):
    """A list of dicts with the suboptions ``options``, empty when the task does not set it."""
    return dict(type="list", elements="dict", default=[], options=options)
