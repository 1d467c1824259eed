"""Words the synthetic organisation uses: hubs, widget types, people, feedback texts.

Kept apart from the generators so the story code reads as logic, and so that
the texts can grow without touching anything that draws random numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HubSpec:
    domain: str
    slug: str
    name: str
    service: str  # the deployable behind the hub, used in version_ref
    major: int
    nouns: tuple[str, ...]
    type_boost: tuple[tuple[str, float], ...] = ()


# fmt: off
#: In the order hubs are added as the data grows; the first six always exist.
HUBS: tuple[HubSpec, ...] = (
    HubSpec("billing", "billing-portal", "Billing Portal", "billing-web", 2,
            ("Invoice", "Payment method", "Plan", "Usage", "Refund", "Tax ID", "Billing address",
             "Credit note", "Subscription", "Coupon", "Billing contact", "Payout", "Receipt",
             "Dunning"), (("table", 2.0), ("form", 1.5))),
    HubSpec("onboarding", "customer-onboarding", "Customer Onboarding", "onboarding-web", 1,
            ("Company details", "ID document", "Team invite", "Workspace", "Welcome", "Data import",
             "Terms", "Profile", "Integration", "Checklist", "Verification", "Plan selection",
             "Avatar", "Address lookup"), (("wizard-step", 3.0), ("form", 2.0), ("upload", 1.5))),
    HubSpec("search", "product-search", "Product Search", "search-web", 4,
            ("Global", "Result", "Facet", "Saved search", "Sort", "Suggestion", "Recent search",
             "Category", "Price range", "Availability", "Brand", "Search history", "Query",
             "Synonym"), (("search-box", 2.5), ("filter-panel", 2.0))),
    HubSpec("checkout", "checkout-flow", "Checkout", "checkout-web", 3,
            ("Payment details", "Shipping address", "Order summary", "Promo code", "Gift message",
             "Cart", "Delivery option", "Order review", "Billing address", "Express pay",
             "Store pickup", "Place order", "Loyalty points", "Tip"),
            (("form", 2.0), ("button", 1.5))),
    HubSpec("analytics", "analytics-studio", "Analytics Studio", "analytics-web", 5,
            ("Revenue trend", "Segment", "Funnel", "Cohort", "Dashboard", "Report export", "Metric",
             "Retention", "KPI", "Query builder", "Alert", "Annotation", "Schedule", "Forecast"),
            (("chart", 3.0), ("table", 2.0))),
    HubSpec("support", "support-desk", "Support Desk", "support-web", 2,
            ("New ticket", "Ticket", "Macro", "Customer", "SLA", "Queue", "Attachment",
             "Knowledge base", "Escalation", "Satisfaction", "Agent status", "Reply", "Tag",
             "Follow-up"), (("form", 1.5), ("table", 1.5))),
    HubSpec("identity", "identity-access", "Identity & Access", "identity-web", 3,
            ("Sign-in", "Password reset", "MFA", "Role", "API token", "SSO", "Session",
             "Access request", "Audit log", "Group", "Permission", "Recovery code", "Device",
             "Consent"), (("form", 1.5), ("modal", 1.5))),
    HubSpec("catalog", "catalog-admin", "Catalog Admin", "catalog-web", 6,
            ("Product", "Variant", "Price", "Inventory", "Image", "Bulk edit", "Category",
             "Attribute", "Publish", "Bundle", "Supplier", "Collection", "SEO", "Launch"),
            (("table", 2.0), ("upload", 1.5))),
    HubSpec("notifications", "notification-center", "Notification Center", "notify-web", 1,
            ("Inbox", "Preference", "Channel", "Digest", "Template", "Quiet hours", "Mention",
             "Alert rule", "Subscription", "Webhook", "Badge", "Snooze", "Broadcast", "Delivery"),
            (("tabs", 2.0), ("modal", 1.5))),
    HubSpec("reporting", "finance-reporting", "Finance Reporting", "reporting-web", 2,
            ("Ledger", "Close", "Accrual", "Journal", "Balance", "Variance", "Cost center",
             "Budget", "Forecast", "Export", "Reconciliation", "Period", "Entity", "Audit trail"),
            (("table", 2.5), ("chart", 1.5))),
)

#: widget_type → (name suffix, traffic factor, base error factor, validation share of errors,
#: non-error event mix over NON_ERROR_EVENTS, capability verb)
WIDGET_TYPES: dict[str, tuple[str, float, float, float, tuple[float, ...], str]] = {
    "form":         ("form", 1.0, 1.8, 0.8, (0.30, 0.20, 0.08, 0.17, 0.25), "edit"),
    "button":       ("button", 1.6, 0.7, 0.05, (0.25, 0.55, 0.20, 0.0, 0.0), "act"),
    "table":        ("table", 1.2, 0.9, 0.05, (0.50, 0.30, 0.15, 0.0, 0.05), "list"),
    "chart":        ("chart", 0.9, 0.9, 0.05, (0.55, 0.15, 0.30, 0.0, 0.0), "view"),
    "modal":        ("dialog", 0.7, 0.8, 0.1, (0.40, 0.40, 0.05, 0.15, 0.0), "confirm"),
    "search-box":   ("search box", 1.5, 1.1, 0.3, (0.20, 0.15, 0.05, 0.35, 0.25), "search"),
    "date-picker":  ("date picker", 0.8, 1.6, 0.75, (0.25, 0.45, 0.05, 0.0, 0.25), "schedule"),
    "nav-menu":     ("menu", 1.8, 0.6, 0.05, (0.30, 0.55, 0.15, 0.0, 0.0), "navigate"),
    "upload":       ("upload", 0.5, 2.0, 0.5, (0.35, 0.30, 0.05, 0.25, 0.05), "upload"),
    "wizard-step":  ("step", 0.7, 1.5, 0.7, (0.35, 0.25, 0.05, 0.25, 0.10), "complete"),
    "filter-panel": ("filter panel", 0.9, 0.9, 0.3, (0.30, 0.50, 0.10, 0.0, 0.10), "filter"),
    "tabs":         ("tab bar", 1.1, 0.6, 0.05, (0.40, 0.50, 0.10, 0.0, 0.0), "switch"),
}
TYPE_NAMES: tuple[str, ...] = tuple(WIDGET_TYPES)
NON_ERROR_EVENTS: tuple[str, ...] = ("view", "click", "hover", "submit", "focus")
EVENT_TYPES: tuple[str, ...] = (*NON_ERROR_EVENTS, "error", "validation_error")
#: ARIA role of each widget type, for schema snapshots.
ARIA_ROLES: dict[str, str] = {
    "form": "form", "button": "button", "table": "table", "chart": "img", "modal": "dialog",
    "search-box": "searchbox", "date-picker": "dialog", "nav-menu": "navigation",
    "upload": "button", "wizard-step": "group", "filter-panel": "region", "tabs": "tablist",
}
#: Work-item key of each hub's issue tracker project.
TRACKER_KEYS: dict[str, str] = {
    "billing": "BILL", "onboarding": "ONB", "search": "SRCH", "checkout": "CHK",
    "analytics": "ANLY", "support": "SUP", "identity": "IAM", "catalog": "CAT",
    "notifications": "NTF", "reporting": "FIN",
}
#: Typical p95 latency (ms) per widget type, for latency_p95 outcome signals.
BASE_LATENCY_MS: dict[str, float] = {
    "form": 420, "button": 180, "table": 650, "chart": 900, "modal": 220, "search-box": 380,
    "date-picker": 160, "nav-menu": 120, "upload": 2400, "wizard-step": 450,
    "filter-panel": 300, "tabs": 140,
}

#: Share of traffic per UTC hour: a working day spread over European and American users.
HOUR_PROFILE: tuple[float, ...] = (
    0.18, 0.14, 0.12, 0.12, 0.15, 0.25, 0.45, 0.70, 0.90, 1.00, 1.00, 0.95,
    0.85, 0.95, 1.00, 1.00, 0.95, 0.85, 0.70, 0.60, 0.50, 0.42, 0.33, 0.24,
)
#: Monday … Sunday.
WEEKDAY_FACTOR: tuple[float, ...] = (1.0, 1.04, 1.02, 0.98, 0.9, 0.42, 0.36)

CATEGORIES: tuple[str, ...] = (
    "friction", "confusion", "bug", "performance", "accessibility", "suggestion", "praise",
)
BACKGROUND_CATEGORY_MIX: tuple[float, ...] = (0.22, 0.18, 0.14, 0.08, 0.05, 0.13, 0.20)
#: Category mix of complaints about a painful widget, by what is wrong with it.
PAIN_CATEGORY_MIX: dict[str, tuple[float, ...]] = {
    "bug":         (0.20, 0.10, 0.45, 0.10, 0.05, 0.10, 0.0),
    "ux":          (0.35, 0.35, 0.10, 0.0, 0.10, 0.10, 0.0),
    "performance": (0.20, 0.05, 0.15, 0.55, 0.0, 0.05, 0.0),
}
#: The rare value outside low/medium/high/critical that the application also accepted.
UNUSUAL_SEVERITY = "blocker"
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical", UNUSUAL_SEVERITY)
BACKGROUND_SEVERITY_MIX: tuple[float, ...] = (0.38, 0.42, 0.14, 0.04, 0.02)
PAIN_SEVERITY_MIX: tuple[float, ...] = (0.10, 0.35, 0.38, 0.15, 0.02)
PRAISE_SEVERITY_MIX: tuple[float, ...] = (0.8, 0.2, 0.0, 0.0, 0.0)

ISSUES: dict[str, tuple[str, ...]] = {
    "friction": (
        "takes too many clicks to finish",
        "forgets what I entered when I go back",
        "makes me re-enter the same details",
        "hides the main action below the fold",
        "asks for a confirmation that slows everyone down",
    ),
    "confusion": (
        "uses labels that don't match the rest of the app",
        "gives no hint about the expected format",
        "shows two buttons that seem to do the same thing",
        "doesn't say whether my change was saved",
        "shows an error that doesn't explain what to fix",
    ),
    "bug": (
        "throws an error when I submit",
        "shows stale data after saving",
        "breaks when a name contains an apostrophe",
        "loses my selection after a refresh",
        "submits twice on a slow connection",
    ),
    "performance": (
        "takes several seconds to respond",
        "freezes on large accounts",
        "times out during busy hours",
        "re-renders on every keystroke",
        "loads every row at once",
    ),
    "accessibility": (
        "can't be reached with the keyboard",
        "is not announced by screen readers",
        "has text with too little contrast",
        "traps focus after closing",
        "relies on colour alone to show errors",
    ),
    "suggestion": (
        "could remember my last choice",
        "should offer a shortcut for frequent users",
        "would be clearer with an example",
        "should support bulk actions",
        "could show progress while it works",
    ),
    "praise": (
        "is much quicker than before",
        "works nicely on mobile",
        "is clear and easy to use",
        "saved me a lot of time today",
        "is great since the last update",
    ),
}
#: What goes wrong with a painful widget of a given type.
PAIN_ISSUES: dict[str, tuple[str, ...]] = {
    "date-picker": (
        "rejects dates typed as DD/MM/YYYY",
        "shifts the chosen date by one day across time zones",
        "closes the calendar before I can pick a date",
        "won't let me pick today's date",
        "shows US date order to European users",
    ),
    "upload": (
        "fails on files over 10 MB without saying why",
        "gets stuck at 99%",
        "rejects valid PDF scans",
        "loses the file when I switch tabs",
    ),
    "table": (
        "takes ages to load the history",
        "times out when sorting by amount",
        "loses the sort order on page change",
        "exports only the first page",
    ),
    "form": (
        "rejects values that are perfectly valid",
        "clears every field after one validation error",
        "won't submit with a saved address",
        "shows the error far from the field",
    ),
    "search-box": (
        "returns nothing for common misspellings",
        "shows suggestions from the wrong catalogue",
        "crashes on queries with quotes",
    ),
    "chart": (
        "renders blank for ranges over 90 days",
        "shows the wrong currency on the axis",
        "spins forever after a filter change",
    ),
    "filter-panel": (
        "resets all filters when one is removed",
        "hides the apply button on small screens",
        "shows counts that don't match the results",
    ),
    "wizard-step": (
        "loses the company number on back",
        "doesn't say which field blocks the next step",
        "asks for the VAT number twice",
    ),
    "modal": (
        "can't be closed with Escape",
        "opens behind the page header",
        "submits twice on double click",
    ),
}
CONTEXTS: tuple[str, ...] = (
    "",
    "",
    "",
    " on mobile Safari",
    " in Firefox",
    " every single time",
    " since this morning",
    " for customers with many invoices",
    " when the network is slow",
    " on a small laptop screen",
)
REPLIES: tuple[str, ...] = (
    "Same here: {issue}.",
    "+1, this keeps happening to our team.",
    "Still seeing this today.",
    "Can confirm{context}.",
    "Customers are calling support about this.",
    "Workaround for now: reload the page and try again.",
)
REQUIREMENT_VERBS: dict[str, str] = {
    "bug": "Fix",
    "performance": "Speed up",
    "accessibility": "Make accessible",
    "confusion": "Clarify",
    "friction": "Simplify",
    "suggestion": "Add",
    "praise": "Keep",
}
DECISION_RATIONALES: dict[str, tuple[str, ...]] = {
    "approved": (
        "High user impact and a small, well-understood change.",
        "On a revenue-critical path; ship in the next release.",
        "Cheap to build and removes a recurring support topic.",
        "Required for the accessibility commitment this year.",
    ),
    "rejected": (
        "Out of scope for this hub; the platform team owns it.",
        "Cost outweighs the benefit at current usage.",
        "Conflicts with the agreed design-system direction.",
    ),
    "deferred": (
        "Revisit after quarterly planning; depends on the design-system update.",
        "Parked until the migration to the new adapter is done.",
    ),
    "needs_info": (
        "Need reproduction steps and the affected browsers.",
        "Need usage numbers before committing engineering time.",
    ),
}
EVALUATION_RATIONALES: dict[int, tuple[str, ...]] = {
    1: (
        "Error rate jumped after the release; rollback discussed.",
        "Made the widget unusable for a share of users.",
    ),
    2: (
        "Clear regression in errors and complaints after the release.",
        "Introduced new failures; follow-up needed.",
    ),
    3: ("No measurable change in the outcome signals.", "Neutral: signals flat after release."),
    4: ("Signals improved modestly; complaints down.", "Works as intended, small improvement."),
    5: (
        "Errors and complaints dropped sharply after the release.",
        "Resolved the problem; users noticed.",
    ),
}
POLICY_NOTES: dict[str, tuple[str, ...]] = {
    "internal": ("No customer data involved.", "Internal tooling; standard review."),
    "customer-facing": (
        "Copy changes need product-marketing sign-off.",
        "Announce in the release notes.",
    ),
    "pii": (
        "Personal data: keep the retention rules of the privacy policy.",
        "Do not log field values.",
    ),
    "payments-pci": (
        "Card data stays in the PCI-scoped service.",
        "Requires a PCI review before release.",
    ),
    "accessibility-wcag22": ("Must meet WCAG 2.2 AA.", "Screen-reader test before release."),
}
POLICY_SCOPES: tuple[str, ...] = ("internal", "customer-facing", "pii", "payments-pci")
WIDGET_POLICY_MIX: tuple[float, ...] = (0.45, 0.35, 0.12, 0.08)

FIRST_NAMES: tuple[str, ...] = (
    "Ada",
    "Bruno",
    "Chen",
    "Dana",
    "Elif",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Lars",
    "Maya",
    "Nikhil",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sami",
    "Tereza",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Anouk",
    "Bilal",
    "Carla",
    "Dmitri",
)
LAST_NAMES: tuple[str, ...] = (
    "Adeyemi",
    "Bauer",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quiroga",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Novak",
    "Silva",
    "Brennan",
    "Lindqvist",
)

AGENT_MODELS: tuple[str, ...] = ("ihub-assist-2.1", "ihub-assist-2.3", "ihub-triage-0.9")
CONFIDENCE_DIMENSIONS: tuple[str, ...] = (
    "accuracy",
    "relevance",
    "completeness",
    "policy_alignment",
)
# fmt: on


def in_sentence(name: str) -> str:
    """A widget name mid-sentence: "Invoice table" → "invoice table"; "MFA dialog" stays."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def jsonb_text(value: Any) -> str:
    """JSON text exactly as Postgres prints it back from a ``jsonb`` column.

    jsonb orders object keys by length, then bytewise, and separates with
    ``", "`` / ``": "``; writing that form means DuckDB (which keeps JSON text
    verbatim) and Postgres hold byte-identical documents.
    """
    return json.dumps(_jsonb_order(value), ensure_ascii=False)


def _jsonb_order(value: Any) -> Any:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return {k: _jsonb_order(value[k]) for k in keys}
    if isinstance(value, list):
        return [_jsonb_order(v) for v in value]
    return value


def metadata_templates() -> tuple[list[str], dict[str, tuple[int, int]]]:
    """Event ``metadata`` documents, and the slice of them each event type draws from."""
    devices = ("desktop", "mobile", "tablet")
    by_type: dict[str, list[dict[str, Any]]] = {
        "view": [
            {"device": d, "locale": loc}
            for d in devices
            for loc in ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES")
        ],
        "click": [
            {"device": d, "target": t}
            for d in devices
            for t in ("primary", "secondary", "link", "icon")
        ],
        "hover": [{"device": "desktop", "dwell_ms": ms} for ms in (250, 500, 1000, 2000)],
        "submit": [{"device": d, "fields": f} for d in devices for f in (3, 5, 8)],
        "focus": [
            {"device": d, "input": i} for d in devices for i in ("keyboard", "pointer", "touch")
        ],
        "error": [
            {"code": "E_TIMEOUT", "http_status": 504},
            {"code": "E_SERVER", "http_status": 500},
            {"code": "E_NETWORK"},
            {"code": "E_RENDER"},
            {"code": "E_CONFLICT", "http_status": 409},
        ],
        "validation_error": [
            {"field": f, "rule": r}
            for f in ("date", "email", "amount", "file", "name")
            for r in ("format", "required", "range")
        ],
    }
    texts: list[str] = []
    ranges: dict[str, tuple[int, int]] = {}
    for event_type in EVENT_TYPES:
        docs = by_type[event_type]
        ranges[event_type] = (len(texts), len(texts) + len(docs))
        texts.extend(jsonb_text(d) for d in docs)
    return texts, ranges
