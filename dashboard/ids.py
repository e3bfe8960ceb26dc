"""Component ids, in one place so pages, callbacks and tests agree on them."""

from typing import Any

# the shell: the navbar's menu button and the links it opens on narrow screens
NAV_TOGGLER = "nav-toggler"
NAV_COLLAPSE = "nav-collapse"

# overview
KPI_GRID = "kpi-grid"
FRESHNESS = "freshness"
OV_PRESETS = "overview-presets"
OV_DATES = "overview-dates"
OV_QUERY = "overview-query"
OV_NAV = "overview-nav"
OV_MAIN_CHART = "overview-main-chart"

# cohorts
COHORT_STORE = "cohort-query"
# The filter controls, one per entry of analytics.cohort_filters.FILTERS (a number pair has
# one control per bound). Pattern ids, so callbacks take them all with ALL / MATCH:
FILTER = "cohort-filter"  # {"type": FILTER, "key": filter key, or a number pair's query key}
FILTER_DATES = "cohort-filter-dates"  # {"type": FILTER_DATES, "key": filter key}
F_RESET = "f-reset"
COUNT = "cohort-count"
CHIPS = "cohort-chips"
FILTER_ERROR = "filter-error"
FACET_GRAPH = "facet-graph"  # pattern id {"type": FACET_GRAPH, "key": filter key}
GRID = "customer-grid"
SAVE_NAME = "save-name"
SAVE_BUTTON = "save-button"
SAVE_STATUS = "save-status"
SAVED_LIST = "saved-cohorts"
COMPARE_WITH = "compare-with"
COMPARE_TABLE = "compare-table"
EXPORT_LINKS = "export-links"
HOLDOUT = "holdout-share"

# segments
SEG_METHOD = "segment-method"
SEG_CARDS = "segment-cards"
SEG_MAP = "segment-map"
SEG_HEATMAP = "segment-heatmap"

# churn
RISK_GRID = "risk-grid"
RISK_TIERS = "risk-tiers"
RISK_CAMPAIGN = "risk-campaign"
RISK_CONTACTED = "risk-contacted"
RISK_ADD = "risk-add-campaign"
RISK_STATUS = "risk-status"
RISK_LOG = "risk-log"
RISK_QUERY = "risk-query"  # the list's cohort query, so a recorded action can redraw its marks

# sessions & funnel
FUNNEL = "funnel-graph"
HITS_HIST = "hits-histogram"
ABANDON_HIST = "abandonment-histogram"
RETENTION = "retention-heatmap"

# data
DATA_LEDGER = "data-ledger"
DATA_CAPS = "data-capabilities"
DATA_REJECTS = "data-rejects"
UPLOAD = "upload"
UPLOAD_STATUS = "upload-status"
UPLOAD_DOWNLOAD = "upload-download"
REBUILD = "rebuild-button"
REBUILD_PROGRESS = "rebuild-progress"
REBUILD_STATUS = "rebuild-status"
REBUILD_POLL = "rebuild-poll"
UPLOAD_ERROR = "upload-error"
UPLOAD_LINK = "upload-download-link"

# admin
USERS_TABLE = "users-table"
USER_NAME = "user-name"
USER_PASSWORD = "user-password"
USER_ROLE = "user-role"
USER_ADD = "user-add"
USER_STATUS = "user-status"

# what-if
WI_PROFILE = "whatif-profile"
WI_NAV = "whatif-nav"
WI_CARDS = "whatif-cards"
WI_REASONS = "whatif-reasons"
WI_CHANGES = "whatif-changes"
WI_TARGET = "whatif-curve-target"
WI_RESET = "whatif-reset"
WI_SLIDER = "whatif-slider"  # pattern id {"type": WI_SLIDER, "feature": name}
WI_CURVE = "whatif-curve"  # pattern id {"type": WI_CURVE, "feature": name}
WI_CURVE_WARNING = "whatif-curve-warning"  # pattern id, as WI_CURVE
WI_CUSTOMER = "whatif-customer"
WI_CUSTOMER_GO = "whatif-customer-go"
WI_SEGMENT = "whatif-segment"
WI_SESSION = "whatif-session"
WI_SESSION_GO = "whatif-session-go"
WI_PICK_MESSAGE = "whatif-pick-message"


def filter_id(key: str) -> dict[str, Any]:
    """The pattern id of the cohort filter control for ``key``."""
    return {"type": FILTER, "key": key}
