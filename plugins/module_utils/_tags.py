# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tag plan the modules share: what to set, what to remove and the tags that leaves."""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags


def tag_plan(current, wanted, purge_tags):
    """``(to_set, to_unset, after)``: ``compare_aws_tags``' changes from ``current`` (a dict) to
    ``wanted``, and the tags ``current`` has once they are made."""
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags)
    after = {k: v for k, v in current.items() if k not in to_unset}
    after.update(to_set)
    return to_set, to_unset, after
