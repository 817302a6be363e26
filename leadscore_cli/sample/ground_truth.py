"""The hidden logistic model behind `converted`, and the draw that applies it.

The generator draws canonical values first; this module turns them into the outcome, so the
coefficients and the formula that combines them are read in one place.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from leadscore_cli.sample.vocabulary import COUNTRIES, INDUSTRIES, JOB_TITLES

# Upper bounds (inclusive) of the company-size bands of GROUND_TRUTH["company_size"], whose
# keys are listed in the same order (one more band: above the last bound).
SIZE_BAND_UPPER: Final = (10, 50, 200, 1000, 5000)

GROUND_TRUTH: Final[dict[str, Any]] = {
    "intercept": -2.8,
    "seniority": {
        "c_level": 1.4,
        "vp": 1.1,
        "director": 0.7,
        "manager": 0.3,
        "individual": 0.0,
        "assistant": -0.6,
        "intern_student": -2.0,
    },
    "industry": {
        "saas": 0.7,
        "software": 0.6,
        "financial services": 0.5,
        "healthcare": 0.1,
        "telecommunications": 0.1,
        "manufacturing": 0.0,
        "consulting": 0.0,
        "retail": -0.1,
        "media": -0.2,
        "education": -0.6,
        "government": -0.7,
        "non-profit": -0.9,
    },
    "company_size": {
        "1-10": -0.7,
        "11-50": -0.2,
        "51-200": 0.4,
        "201-1000": 0.6,
        "1001-5000": 0.2,
        "5001+": -0.4,
    },
    "country": {
        "United States": 0.4,
        "United Kingdom": 0.3,
        "Canada": 0.3,
        "Germany": 0.3,
        "Australia": 0.1,
        "Netherlands": 0.1,
        "France": 0.0,
        "Singapore": 0.0,
        "Spain": -0.1,
        "Japan": -0.1,
        "Brazil": -0.3,
        "Mexico": -0.3,
        "India": -0.4,
    },
    "demo_requested": 1.6,
    "webinar_attended": 0.5,
    "email_clicks_log1p": 0.4,
    "content_downloads_log1p": 0.5,
    "days_since_last_activity_per_30": -0.15,
    "unsubscribed": -1.8,
    "free_mail": -0.6,
    "lead_source": 0.0,
    "noise_sd": 0.5,
}
"""The hidden logistic model behind `converted`.

It exists so that tests can check that models learned from the messy export (profiling,
fitted points, thresholds) recover the true order of effects. Titles map to tiers in JOB_TITLES.

logit = intercept + seniority[tier of job_title] + industry[...] + company_size[band of
employees, see SIZE_BAND_UPPER] + country[canonical name] + demo_requested + webinar_attended
+ email_clicks_log1p * log1p(clicks) + content_downloads_log1p * log1p(downloads)
+ days_since_last_activity_per_30 * (days from last activity to 2026-11-01) / 30
+ unsubscribed + free_mail + Normal(0, noise_sd). lead_source carries no signal on purpose.
All terms use the canonical values, so a blank or misspelt cell hides but never changes them.
Read-only by convention: do not mutate.
"""

_TITLE_TIER_EFFECT = np.array(
    [GROUND_TRUTH["seniority"][tier] for _, tier, _ in JOB_TITLES], dtype=np.float64
)
_INDUSTRY_EFFECT = np.array([GROUND_TRUTH["industry"][i] for i in INDUSTRIES], dtype=np.float64)
_SIZE_EFFECT = np.array(list(GROUND_TRUTH["company_size"].values()), dtype=np.float64)
_COUNTRY_EFFECT = np.array(
    [GROUND_TRUTH["country"][name] for name, _, _ in COUNTRIES], dtype=np.float64
)


def draw_converted(
    rng: np.random.Generator,
    *,
    title: np.ndarray,
    industry: np.ndarray,
    employees: np.ndarray,
    country: np.ndarray,
    demo: np.ndarray,
    webinar: np.ndarray,
    clicks: np.ndarray,
    downloads: np.ndarray,
    days_since: np.ndarray,
    unsubscribed: np.ndarray,
    free_mail: np.ndarray,
) -> np.ndarray:
    """Whether each lead converted, drawn from GROUND_TRUTH on its canonical values.

    ``title``, ``industry`` and ``country`` are indices into JOB_TITLES, INDUSTRIES and
    COUNTRIES; ``days_since`` counts days from last activity to RECENCY_REFERENCE. Draws the
    noise, then the outcome, from ``rng``.
    """
    n = title.size
    gt = GROUND_TRUTH
    size_band = np.searchsorted(np.asarray(SIZE_BAND_UPPER), employees, side="left")
    logit = (
        gt["intercept"]
        + _TITLE_TIER_EFFECT[title]
        + _INDUSTRY_EFFECT[industry]
        + _SIZE_EFFECT[size_band]
        + _COUNTRY_EFFECT[country]
        + gt["demo_requested"] * demo
        + gt["webinar_attended"] * webinar
        + gt["email_clicks_log1p"] * np.log1p(clicks)
        + gt["content_downloads_log1p"] * np.log1p(downloads)
        + gt["days_since_last_activity_per_30"] * days_since / 30.0
        + gt["unsubscribed"] * unsubscribed
        + gt["free_mail"] * free_mail
        + rng.normal(0.0, gt["noise_sd"], n)
    )
    return rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
