"""A fake of two AWS JSON-protocol APIs moto lacks: Price List GetProducts and Service Quotas
GetServiceQuota. boto3 talks to it through endpoint_url, so the real client serialisation runs."""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import FakeServer, Faults, Reply, Request

LOCATIONS = {"us-east-1": "US East (N. Virginia)", "us-west-2": "US West (Oregon)",
             "eu-west-1": "EU (Ireland)"}  # fmt: skip


def _terms(sku: str, price: float) -> dict[str, Any]:
    return {
        "OnDemand": {
            f"{sku}.JRTCKXETXF": {
                "offerTermCode": "JRTCKXETXF",
                "sku": sku,
                "effectiveDate": "2026-11-01T00:00:00Z",
                "priceDimensions": {
                    f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                        "unit": "Hrs",
                        "endRange": "Inf",
                        "description": f"${price} per On Demand Linux instance hour",
                        "appliesTo": [],
                        "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
                        "beginRange": "0",
                        "pricePerUnit": {"USD": f"{price:.10f}"},
                    }
                },
                "termAttributes": {},
            }
        }
    }


def ec2_product(instance_type: str, region: str, price: float, **overrides: str) -> dict:
    """A Price List product document for an EC2 Linux on-demand instance, as AWS shapes it."""
    sku = f"SKU{zlib.crc32(repr((instance_type, region, overrides)).encode()):010d}"
    attributes = {
        "servicecode": "AmazonEC2",
        "location": LOCATIONS.get(region, region),
        "locationType": "AWS Region",
        "regionCode": region,
        "instanceType": instance_type,
        "instanceFamily": "GPU instance",
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
        "usagetype": f"BoxUsage:{instance_type}",
        "operation": "RunInstances",
        **overrides,
    }
    return {
        "product": {"productFamily": "Compute Instance", "attributes": attributes, "sku": sku},
        "serviceCode": "AmazonEC2",
        "terms": _terms(sku, price),
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    }


def sagemaker_product(ml_type: str, region: str, price: float, component: str = "Hosting") -> dict:
    """A Price List product document for a SageMaker instance (hosting, training...)."""
    sku = f"SM{zlib.crc32(repr((ml_type, region, component)).encode()):010d}"
    kind = {"Hosting": "Host", "Training": "Train"}.get(component, component)
    attributes = {
        "servicecode": "AmazonSageMaker",
        "location": LOCATIONS.get(region, region),
        "locationType": "AWS Region",
        "regionCode": region,
        "instanceName": ml_type,
        "instanceType": ml_type,
        "component": component,
        "usagetype": f"USE1-{kind}:{ml_type}",
        "operation": "RunInstance",
    }
    return {
        "product": {"productFamily": "ML Instance", "attributes": attributes, "sku": sku},
        "serviceCode": "AmazonSageMaker",
        "terms": _terms(sku, price),
    }


def _error(code: str, message: str, status: int = 400) -> Reply:
    return Reply(status, {"__type": code, "message": message})


@dataclass
class AwsJsonFake:
    """Products per service code and vCPU quotas per (region, code), with scripted faults.

    Fault names: 'GetProducts:<value of the instanceType or instanceName filter>' and
    'GetServiceQuota:<region>:<code>'.
    """

    products: dict[str, list[dict]] = field(default_factory=dict)
    quotas: dict[tuple[str, str], float] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    page_size: int = 2

    def route(self, request: Request) -> Reply:
        target = request.headers.get("x-amz-target", "")
        body = request.body or {}
        if target == "AWSPriceListService.GetProducts":
            return self._get_products(body)
        if target == "ServiceQuotasV20190624.GetServiceQuota":
            match = re.search(r"Credential=[^/]+/\d+/([^/]+)/", request.headers["authorization"])
            return self._get_quota(match.group(1) if match else "us-east-1", body)
        return _error("UnknownOperationException", f"not faked: {target}")

    def _get_products(self, body: dict) -> Reply:
        filters = {f["Field"]: f["Value"] for f in body.get("Filters", [])}
        name = filters.get("instanceType") or filters.get("instanceName") or ""
        fault = self.faults.check(f"GetProducts:{name}")
        if fault == "throttle":
            return _error("ThrottlingException", "Rate exceeded")
        if fault == "fail":
            return _error("AccessDeniedException", "not authorized to call GetProducts")
        matching = [
            p
            for p in self.products.get(body["ServiceCode"], [])
            if all(p["product"]["attributes"].get(k) == v for k, v in filters.items())
        ]
        start = int(body.get("NextToken") or 0)
        page = matching[start : start + self.page_size]
        answer: dict[str, Any] = {
            "FormatVersion": "aws_v1",
            "PriceList": [json.dumps(p) for p in page],
        }
        if start + self.page_size < len(matching):
            answer["NextToken"] = str(start + self.page_size)
        return Reply(200, answer)

    def _get_quota(self, region: str, body: dict) -> Reply:
        code = body["QuotaCode"]
        fault = self.faults.check(f"GetServiceQuota:{region}:{code}")
        if fault == "throttle":
            return _error("TooManyRequestsException", "Rate exceeded")
        if fault == "fail":
            return _error("AccessDeniedException", "not authorized to call GetServiceQuota")
        if (region, code) not in self.quotas:
            return _error("NoSuchResourceException", f"The request failed because {code} ...")
        return Reply(
            200,
            {
                "Quota": {
                    "ServiceCode": "ec2",
                    "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
                    "QuotaArn": f"arn:aws:servicequotas:{region}:123456789012:ec2/{code}",
                    "QuotaCode": code,
                    "QuotaName": "a quota",
                    "Value": self.quotas[(region, code)],
                    "Unit": "None",
                    "Adjustable": True,
                    "GlobalQuota": False,
                }
            },
        )

    def serve(self) -> FakeServer:
        return FakeServer(self.route, content_type="application/x-amz-json-1.1")
