"""The FOCUS specification's column rules that the export relies on, as test data.

Source: FinOps Foundation, FOCUS specification (github.com/FinOps-Open-Cost-and-Usage-Spec/
FOCUS_Spec), `specification/columns/*.md` ("Content constraints": feature level, allows nulls,
data type, allowed values) and `specification/attributes/` (numeric_format.md,
date_time_format.md, currency_code_format.md, key_value_format.md, column_naming_and_ordering.md)
of releases 1.0 (2024-06) and 1.1 (2024-11), read 2026-12-02. Only the rules for the columns this
export writes are encoded; this module holds no tests.
"""

from __future__ import annotations

import re

# Columns whose feature level is Mandatory (the column MUST be present), by version.
MANDATORY_1_0 = frozenset({
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
})  # fmt: skip
MANDATORY = {"1.0": MANDATORY_1_0, "1.1": MANDATORY_1_0}
"""1.1 keeps 1.0's mandatory set; what it adds (ServiceSubcategory, BillingAccountType,
SubAccountType, CapacityReservation*, CommitmentDiscountQuantity/Unit, Sku* details) is
recommended or conditional."""

# Data type of each column the export writes ("String", "Decimal", "DateTime", "JSON").
DATA_TYPES = {
    **dict.fromkeys(
        ("BilledCost", "EffectiveCost", "ListCost", "ListUnitPrice", "ContractedCost",
         "ContractedUnitPrice", "PricingQuantity", "ConsumedQuantity"), "Decimal"),
    **dict.fromkeys(
        ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"),
        "DateTime"),
    "Tags": "JSON",
}  # fmt: skip
"""Every other FOCUS column the export writes is a String."""

# Columns that MUST NOT be null ("Allows nulls: False").
NOT_NULL = frozenset({
    "BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
    "ChargeCategory", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "ProviderName", "PublisherName",
    "ServiceCategory", "ServiceName",
})  # fmt: skip
"""Nullable among those written: BillingAccountName, SubAccountId/Name, ChargeClass (null or
Correction), ChargeDescription (SHOULD NOT be null), PricingQuantity/PricingUnit (null only for
some charge categories), the Consumed*, List/ContractedUnitPrice (null for some categories),
Region*, AvailabilityZone, Resource*, Sku*, Tags."""

ALLOWED_VALUES = {
    "ChargeCategory": {"Usage", "Purchase", "Tax", "Credit", "Adjustment"},
    "ChargeClass": {"Correction"},  # or null
    "ChargeFrequency": {"One-Time", "Recurring", "Usage-Based"},
    "PricingCategory": {"Standard", "Dynamic", "Committed", "Other"},
    "ServiceCategory": {
        "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases",
        "Developer Tools", "Multicloud", "Identity", "Integration", "Internet of Things",
        "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security",
        "Storage", "Web", "Other",
    },
}  # fmt: skip

# numeric_format.md: integer or decimal, a single value; no exponent, no commas, no currency
# symbols or units, no '+' sign, '-' for negatives.
NUMERIC = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")
# date_time_format.md: ISO 8601 in UTC, "YYYY-MM-DDTHH:mm:ssZ".
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# currency_code_format.md: ISO 4217 alphabetic code (the planner prices in USD only).
CURRENCY = re.compile(r"^[A-Z]{3}$")
# column_naming_and_ordering.md: FOCUS columns in PascalCase, alphanumeric; custom ones x_.
FOCUS_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
CUSTOM_NAME = re.compile(r"^x_[A-Za-z0-9]+$")
