"""Create an App Runner service and a CloudFront distribution for the monitoring scenario.

Usage: prepare_targets.py SERVICE_NAME ALIAS (AWS_ENDPOINT_URL points at the local endpoint).
Prints "created" or "exists". Idempotent.
"""

from __future__ import annotations

import sys

import boto3


def main(service_name: str, alias: str) -> None:
    created = False
    apprunner = boto3.client("apprunner")
    names = [s["ServiceName"] for s in apprunner.list_services()["ServiceSummaryList"]]
    if service_name not in names:
        apprunner.create_service(
            ServiceName=service_name,
            SourceConfiguration={
                "ImageRepository": {
                    "ImageIdentifier": "public.ecr.aws/docker/library/nginx:latest",
                    "ImageRepositoryType": "ECR_PUBLIC",
                    "ImageConfiguration": {"Port": "8000"},
                },
                "AutoDeploymentsEnabled": False,
            },
        )
        created = True
    cloudfront = boto3.client("cloudfront")
    items = cloudfront.list_distributions()["DistributionList"].get("Items", [])
    if not any(alias in d.get("Aliases", {}).get("Items", []) for d in items):
        cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": f"molecule-{alias}",
                "Aliases": {"Quantity": 1, "Items": [alias]},
                "Comment": "monitoring scenario",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "web",
                            "DomainName": "example-bucket.s3.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "web",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                },
            }
        )
        created = True
    print("created" if created else "exists")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
