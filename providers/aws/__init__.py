"""Amazon Web Services: catalog refresh, quotas, the SageMaker launcher and CloudWatch metrics
(boto3 imported lazily, when a verb runs)."""

from __future__ import annotations

from providers.provider import Provider, Quotas, Request


def _prices(request: Request):
    from providers.aws.refresh import all_regions, make_clients, refresh_aws

    clients = make_clients(dict(request.endpoints))
    chosen = all_regions(clients, request.ctx) if request.regions is None else request.regions
    return refresh_aws(chosen, request.ctx, clients)


def _quotas(request: Request) -> Quotas:
    from providers.aws.quotas import SOURCE, refresh_aws_quotas
    from providers.aws.refresh import all_regions, make_clients

    clients = make_clients(dict(request.endpoints))
    chosen = all_regions(clients, request.ctx) if request.regions is None else request.regions
    quotas, log = refresh_aws_quotas(
        chosen, request.base, request.ctx, clients, most=not request.fewest_vcpus
    )
    how = (
        f"vCPU quotas / the {'fewest' if request.fewest_vcpus else 'most'} vCPUs per accelerator "
        "among the catalog's EC2 types of the class in the region; each accelerator of a "
        "class gets the whole class pool"
    )
    return Quotas(quotas, log, SOURCE, how)


PROVIDER = Provider(
    cloud="aws",
    endpoint_services=("ec2", "pricing", "service-quotas"),
    prices=_prices,
    quotas=_quotas,
    launch_targets=("sagemaker",),
    metric_sources=("cloudwatch",),
)
