"""What a lead's categorical cells can say, with the weights they are drawn by.

Industries, job titles with their seniority tiers, countries with the spellings a CRM holds
for them, lead sources, free-mail domains, yes/no styles and stages. Names of people and
companies live in `names`.
"""

from __future__ import annotations

from typing import Final

# Canonical vocabularies. Order matters: indices into these tuples are what the generator draws.

INDUSTRIES: Final = (
    "software",
    "saas",
    "financial services",
    "healthcare",
    "manufacturing",
    "retail",
    "education",
    "government",
    "consulting",
    "media",
    "non-profit",
    "telecommunications",
)
INDUSTRY_P = (14, 12, 10, 10, 10, 8, 7, 5, 9, 5, 5, 5)

SENIORITY_TIERS: Final = (
    "c_level",
    "vp",
    "director",
    "manager",
    "individual",
    "assistant",
    "intern_student",
)
# (canonical title, seniority tier, relative frequency)
JOB_TITLES: Final = (
    ("CEO", "c_level", 2.0),
    ("CTO", "c_level", 1.5),
    ("CFO", "c_level", 1.0),
    ("COO", "c_level", 0.8),
    ("Founder", "c_level", 1.2),
    ("Chief Marketing Officer", "c_level", 0.8),
    ("VP Sales", "vp", 2.0),
    ("VP Engineering", "vp", 1.5),
    ("VP Marketing", "vp", 1.5),
    ("Vice President of Operations", "vp", 1.0),
    ("Head of Marketing", "director", 2.0),
    ("Head of Sales", "director", 1.5),
    ("Director of IT", "director", 2.0),
    ("Director of Marketing", "director", 2.0),
    ("Director of Operations", "director", 1.5),
    ("Marketing Manager", "manager", 5.0),
    ("Sales Manager", "manager", 5.0),
    ("Product Manager", "manager", 4.0),
    ("IT Manager", "manager", 3.0),
    ("Account Manager", "manager", 3.0),
    ("Software Engineer", "individual", 8.0),
    ("Analyst", "individual", 6.0),
    ("Data Scientist", "individual", 3.0),
    ("Consultant", "individual", 5.0),
    ("Account Executive", "individual", 4.0),
    ("Sales Representative", "individual", 4.0),
    ("Marketing Specialist", "individual", 4.0),
    ("Assistant", "assistant", 3.0),
    ("Coordinator", "assistant", 3.0),
    ("Intern", "intern_student", 3.0),
    ("Student", "intern_student", 4.0),
)

# (canonical country, share of leads, spellings the CRM holds with their shares)
COUNTRIES: Final = (
    (
        "United States",
        38,
        (("United States", 45), ("US", 25), ("USA", 20), ("U.S.", 5), ("united states", 5)),
    ),
    ("United Kingdom", 10, (("United Kingdom", 50), ("UK", 30), ("GB", 10), ("England", 10))),
    ("Germany", 7, (("Germany", 80), ("DE", 10), ("Deutschland", 10))),
    ("Canada", 6, (("Canada", 90), ("CA", 10))),
    ("France", 5, (("France", 90), ("FR", 10))),
    ("India", 8, (("India", 90), ("IN", 10))),
    ("Brazil", 4, (("Brazil", 85), ("Brasil", 10), ("BR", 5))),
    ("Australia", 4, (("Australia", 85), ("AU", 15))),
    ("Netherlands", 3, (("Netherlands", 70), ("The Netherlands", 20), ("NL", 10))),
    ("Spain", 3, (("Spain", 90), ("ES", 10))),
    ("Japan", 3, (("Japan", 90), ("JP", 10))),
    ("Mexico", 3, (("Mexico", 90), ("MX", 10))),
    ("Singapore", 2, (("Singapore", 90), ("SG", 10))),
)

LEAD_SOURCES: Final = (
    "Organic Search",
    "Paid Search",
    "Referral",
    "Webinar",
    "Trade Show",
    "Social",
    "Email Campaign",
    "Partner",
    "Direct",
)
LEAD_SOURCE_P = (22, 15, 8, 7, 6, 12, 12, 6, 12)

FREE_MAIL_DOMAINS: Final = ("gmail.com", "yahoo.com", "hotmail.com")
FREE_MAIL_P = (60, 20, 20)

# Boolean-like text styles seen in CRM exports: (false text, true text).
BOOL_STYLES = (("no", "yes"), ("No", "Yes"), ("false", "true"), ("FALSE", "TRUE"), ("0", "1"))
BOOL_STYLE_P = (30, 25, 20, 10, 15)

STAGE_OTHER = ("Closed Lost", "Open", "Nurturing")
STAGE_OTHER_P = (60, 25, 15)
