"""Score leads with a model: a lazy polars plan, streamed by the caller.

`plan` builds the plan and shapes its output; `inputs` checks the input's columns and
renames them; `rules` gives each rule's points, `totals` the subtotals, caps, scale and
tier, `reasons` the --explain text; `columns` names what they write.
"""

from leadscore_cli.scoring.plan import ScoringPlan, plan_from_scores, plan_scoring

__all__ = ["ScoringPlan", "plan_from_scores", "plan_scoring"]
