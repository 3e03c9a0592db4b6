# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Building blocks of the waiter models the ``_<service>/waiters.py`` files declare.

amazon.aws's ``BaseWaiterFactory`` takes botocore waiter models as dicts; these helpers
write their acceptors once (botocore tries them in order: the first that matches decides).
"""


def path_acceptors(state, argument, *expected):
    """One ``path`` acceptor per expected value of ``argument`` (a jmespath expression)."""
    return [dict(state=state, matcher="path", argument=argument, expected=value) for value in expected]


def error_acceptors(state, *codes):
    """One ``error`` acceptor per AWS error code."""
    return [dict(state=state, matcher="error", expected=code) for code in codes]


def waiter(operation, delay, max_attempts, *acceptors):
    """A waiter model polling ``operation``; ``acceptors`` are lists, joined in order."""
    return dict(
        operation=operation,
        delay=delay,
        maxAttempts=max_attempts,
        acceptors=[acceptor for group in acceptors for acceptor in group],
    )
