# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Page loops for the List*/Describe* calls botocore has no paginator for (App Runner, CloudFront
response headers policies) or that must retry each call (``aws_retry=True``, which a botocore
paginator does not pass): one copy per style of continuation instead of one per call.
"""


def token_pages(method, **params):
    """Every page of a call that continues with ``NextToken`` (App Runner, ACM)."""
    while True:
        page = method(aws_retry=True, **params)
        yield page
        token = page.get("NextToken")
        if not token:
            return
        params["NextToken"] = token


def marker_pages(method, list_key, **params):
    """Every page of a CloudFront List* call (the list under ``list_key``), ``Marker`` after ``NextMarker``:
    while IsTruncated, or, for the lists without it (response headers policies), while a NextMarker comes."""
    while True:
        page = method(aws_retry=True, **params)[list_key]
        yield page
        if not (page.get("IsTruncated") if "IsTruncated" in page else page.get("NextMarker")):
            return
        params["Marker"] = page["NextMarker"]
