"""Conformance scenarios: what a DICOM node does on the wire, checked clause by clause.

The catalogue, :data:`SCENARIOS`, is filled by the group modules of this package, one per
clause group (the same groups as the files of ``scenarios/``); :mod:`.core` holds what they
share: :class:`Scenario`, :class:`Verdict`, :class:`Result`, the capabilities, and the
"play a script, judge the outcome" helpers. See :mod:`.core` for the capabilities a system
declares.
"""

from harness.conformance import (  # noqa: F401  (each registers its scenarios)
    acceptor_grid,
    artim_timer,
    association,
    dimse,
    dimse_faults,
    limit,
    malformed,
    max_pdu,
    presentation,
    release_abort,
    robustness,
    security,
    services,
)
from harness.conformance.core import (
    ARTIM,
    CHECKS_CALLED_AET,
    CHECKS_CALLING_AET,
    INITIATES_RELEASE,
    MAX_ASSOCIATIONS,
    MOVE_DESTINATION,
    SCENARIOS,
    SCU_AE,
    WIND_DOWN,
    AssociationEnded,
    NoConnection,
    NotAccepted,
    NotServed,
    Result,
    Scenario,
    Status,
    Summary,
    Verdict,
    artim,
    capability_value,
    closed_by_artim,
    has_capability,
    is_busy_rejection,
    max_associations,
    move_destination,
    reply_within,
    scenario,
    scenario_by_id,
    wait_until_accepting,
)
from harness.conformance.run import (
    NODE_DOWN,
    STOPPED_SERVING,
    Crash,
    GuardedSystem,
    Relaunch,
    RunRecord,
    run_guarded,
    run_scenarios,
)

# The association limit fills the system up: it goes last.
SCENARIOS.sort(key=lambda entry: entry.group == "limit")

__all__ = [
    "ARTIM",
    "CHECKS_CALLED_AET",
    "CHECKS_CALLING_AET",
    "INITIATES_RELEASE",
    "MAX_ASSOCIATIONS",
    "MOVE_DESTINATION",
    "NODE_DOWN",
    "SCENARIOS",
    "SCU_AE",
    "STOPPED_SERVING",
    "WIND_DOWN",
    "AssociationEnded",
    "Crash",
    "GuardedSystem",
    "NoConnection",
    "NotAccepted",
    "NotServed",
    "Relaunch",
    "Result",
    "RunRecord",
    "Scenario",
    "Status",
    "Summary",
    "Verdict",
    "artim",
    "capability_value",
    "closed_by_artim",
    "has_capability",
    "is_busy_rejection",
    "max_associations",
    "move_destination",
    "reply_within",
    "run_guarded",
    "run_scenarios",
    "scenario",
    "scenario_by_id",
    "wait_until_accepting",
]
