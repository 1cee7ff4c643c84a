r"""Policy as code: the desired security state of a Harbor project, planned and applied.

Write the policy in YAML, TOML or JSON (or build it in Python), compare it with a project, read
the diff, apply it; planning again then gives an empty plan (`Plan` and `AsyncPlan` are in
`harborsec`):

    >>> from harborsec import Registry
    >>> from harborsec.policy import Policy
    >>> from harborsec.testing import HarborEmulator
    >>> registry = Registry("https://harbor.test", auth=("admin", "Harbor12345"),
    ...                     transport=HarborEmulator().transport())
    >>> project = registry.project("library")
    >>> plan = Policy.loads("auto_scan: true\nseverity: high\n", format="yaml").plan(project)
    >>> print(plan.diff())
    ~ auto_scan: false -> true
    ~ severity: none -> high
    >>> plan.apply()
    >>> project.plan(plan.policy).empty
    True
    >>> registry.close()
"""

from harborsec.policy._plan import Change, ChangeKind
from harborsec.policy._policy import SEMVER_TAGS, Policy, PolicyAllowlist, SupportsPlan

__all__ = [
    "Change",
    "ChangeKind",
    "Policy",
    "PolicyAllowlist",
    "SEMVER_TAGS",
    "SupportsPlan",
]
