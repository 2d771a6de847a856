"""Amazon Web Services: catalog refresh, quotas, the SageMaker launcher and CloudWatch metrics
(boto3 imported lazily, when a verb runs)."""

from __future__ import annotations

from typing import Any

from providers.provider import (
    Launcher,
    LaunchOptions,
    Metrics,
    MetricsOptions,
    Provider,
    Quotas,
    Request,
    SpotRiskImport,
)


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


def _sagemaker_calls(plan: Any, verb: str, options: LaunchOptions) -> list[Any]:
    from providers.aws.sagemaker import launch_calls, teardown_calls

    return launch_calls(plan, options.role_arn) if verb == "launch" else teardown_calls(plan)


def _sagemaker_apply(plan: Any, verb: str, options: LaunchOptions) -> Any:
    from providers.aws.sagemaker import SageMakerLauncher, Waiting, boto3_clients

    waiting = Waiting(options.timeout_s, options.poll_s, on_poll=options.on_poll)
    launcher = SageMakerLauncher(boto3_clients(options.endpoint_url), waiting)
    return launcher.apply(plan, options.role_arn) if verb == "launch" else launcher.teardown(plan)


def _cloudwatch(options: MetricsOptions) -> Any:
    from providers.aws.cloudwatch import CloudWatchSource, aws_clients

    endpoint = options.endpoint_url or options.url
    return CloudWatchSource(aws_clients(endpoint), options.region, endpoint)


def _is_advisor_data(text: str) -> bool:
    from providers.aws.spot_advisor import is_advisor_data

    return is_advisor_data(text)


def _advisor_rows(text: str, source: str, as_of: str) -> list[Any]:
    from providers.aws.spot_advisor import advisor_rows

    return advisor_rows(text, source, as_of)


PROVIDER = Provider(
    cloud="aws",
    endpoint_services=("ec2", "pricing", "service-quotas"),
    prices=_prices,
    quotas=_quotas,
    spot_risk=SpotRiskImport(
        reads=_is_advisor_data,
        rows=_advisor_rows,
        describe=(
            "AWS Spot Instance Advisor data: the trailing month's frequency of interruption band "
            "per region and Linux instance type; rate is the band's midpoint (the open top band "
            "at 25%, an estimate)"
        ),
    ),
    launchers=(Launcher("sagemaker", "SageMaker", _sagemaker_calls, _sagemaker_apply),),
    metrics=(Metrics("cloudwatch", "CloudWatch", _cloudwatch),),
)
