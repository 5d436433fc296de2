"""Roles, held per business unit, and what each role may do."""

from django.db import models


class Role(models.TextChoices):
    BRAND_MANAGER = "brand_manager", "Brand manager"
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"
    COMMUNICATION_DESIGNER = "communication_designer", "Communication designer"
    AUDITOR = "auditor", "Auditor"
    INTEGRATION = "integration", "Integration account"


class Capability(models.TextChoices):
    """Actions checked against the roles a user holds in the object's business unit."""

    VIEW = "view", "See the unit's objects"
    EDIT_ASSETS = "edit_assets", "Create assets, upload and submit versions"
    DECIDE_VERSIONS = "decide_versions", "Approve, reject and withdraw versions"
    REVIEW_TEMPLATES = "review_templates", "Acknowledge template reviews, request replacements"
    EDIT_TEMPLATES = "edit_templates", "Register templates, their components and bindings"
    RUN_PREFLIGHT = "run_preflight", "Ask pre-flight whether a run may go"
    READ_AUDIT = "read_audit", "Read the audit log and usage reports"
    REPORT_USAGE = "report_usage", "Report what a production run produced"
    READ_USAGE = "read_usage", "Read usage, reconciliation exceptions and evidence"
    DECIDE_EXCEPTIONS = "decide_exceptions", "Explain or resolve reconciliation exceptions"
    SET_CRITERIA = "set_criteria", "Set compliance criteria and what unknown licences do"
    RETRY_DELIVERIES = "retry_deliveries", "See deliveries to Exstream and retry dead ones"


CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.VIEW: frozenset(Role),
    Capability.EDIT_ASSETS: frozenset({Role.BRAND_MANAGER}),
    Capability.DECIDE_VERSIONS: frozenset({Role.COMPLIANCE_OFFICER}),
    Capability.REVIEW_TEMPLATES: frozenset({Role.COMMUNICATION_DESIGNER}),
    Capability.EDIT_TEMPLATES: frozenset({Role.COMMUNICATION_DESIGNER, Role.INTEGRATION}),
    Capability.RUN_PREFLIGHT: frozenset({Role.INTEGRATION, Role.COMMUNICATION_DESIGNER}),
    Capability.READ_AUDIT: frozenset({Role.AUDITOR}),
    Capability.REPORT_USAGE: frozenset({Role.INTEGRATION, Role.COMPLIANCE_OFFICER}),
    Capability.READ_USAGE: frozenset({Role.AUDITOR, Role.COMPLIANCE_OFFICER}),
    Capability.DECIDE_EXCEPTIONS: frozenset({Role.COMPLIANCE_OFFICER}),
    Capability.SET_CRITERIA: frozenset({Role.COMPLIANCE_OFFICER}),
    Capability.RETRY_DELIVERIES: frozenset({Role.COMPLIANCE_OFFICER}),
}

# Model permissions each role's group carries, for the admin and for reporting who may do what.
GROUP_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.BRAND_MANAGER: ("govern.view_businessunit",),
    Role.COMPLIANCE_OFFICER: ("govern.view_businessunit",),
    Role.COMMUNICATION_DESIGNER: ("govern.view_businessunit",),
    Role.AUDITOR: ("govern.view_businessunit", "audit.view_auditevent"),
    Role.INTEGRATION: ("govern.view_businessunit",),
}
