# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The cache behaviour options of invoice.platform.cloudfront_distribution: the default
    # behaviour and the path-pattern behaviours take the same settings (one YAML anchor).
    DOCUMENTATION = r"""
options:
  default_behavior:
    description: The default cache behaviour.
    type: dict
    default: {}
    suboptions: &behavior
      target_origin:
        description: Origin ID the behaviour sends requests to. Defaults to the S3 origin.
        type: str
      viewer_protocol_policy:
        description: How viewers may use HTTP.
        type: str
        choices: [allow-all, https-only, redirect-to-https]
        default: redirect-to-https
      allowed_methods:
        description: HTTP methods CloudFront forwards.
        type: list
        elements: str
        default: [GET, HEAD]
      cached_methods:
        description: HTTP methods whose responses are cached.
        type: list
        elements: str
        default: [GET, HEAD]
      compress:
        description: Compress objects automatically.
        type: bool
        default: true
      cache_policy_id:
        description: Cache policy. Defaults to the AWS managed C(CachingOptimized) policy.
        type: str
        default: 658327ea-f89d-4fab-a63d-7e88639e58f6
      origin_request_policy_id:
        description: Origin request policy.
        type: str
      response_headers_policy_id:
        description: Response headers policy (for example security headers).
        type: str
  behaviors:
    description:
      - Ordered cache behaviours for path patterns (CloudFront matches them in this order).
        The list replaces the distribution's behaviours.
      - Each takes the settings of O(default_behavior) and its O(behaviors[].path_pattern).
    type: list
    elements: dict
    default: []
    suboptions:
      <<: *behavior
      path_pattern:
        description: Path pattern, for example C(/api/*).
        type: str
        required: true
"""
