# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The field-level diff the modules share."""


def view_diff(before, after):
    """Only the top-level fields that differ, for a readable --diff."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return dict(before={k: before.get(k) for k in keys}, after={k: after[k] for k in keys})
