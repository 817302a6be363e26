-- configs/b2b_saas.toml written by hand as one DuckDB query, for bench/score_bench.py.
--
-- The bench replaces {csv}, {out} and {as_of} (YYYY-MM-DD) before running it. It follows
-- leadscore's semantics (docs/model.md), so its scores must match `leadscore score`:
--   * every column is read as text; null markers are compared lower-cased after trimming
--     Unicode whitespace (polars' strip_chars), so " N/A " and "select" are missing;
--   * numbers drop whitespace, currency symbols and thousands separators, "(1,200)" is
--     -1200, NaN/inf count as missing; `employees` (int) must also be a whole number;
--   * booleans are true/t/yes/y/1 and false/f/no/n/0 in any case;
--   * text comparisons are case-insensitive after trimming; a comparison with a missing
--     value is false (only is_null fires);
--   * decay: half-life 0.5^(age/h), lifespan max(0, 1 - age/L), future dates are age 0, a
--     missing date gives full points;
--   * caps clamp each category, the total is clipped to 0-100, scores are rounded to 2
--     decimals half-to-even (as polars does) and the tier comes from the rounded score.
-- Output: all input columns ("Annual Revenue" renamed to annual_revenue, as the model's
-- [fields] says) plus score, score_fit, score_engagement and tier.

-- Every character Rust's char::is_whitespace accepts (what polars' strip_chars() trims).
CREATE MACRO ls_ws() AS
    chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(133) || chr(160)
    || chr(5760) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196)
    || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202)
    || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288);

-- polars' strip_chars(): trim that whitespace. DuckDB's trim(x, chars) is slow with a long
-- character list, so it only runs on the rare values that start or end with whitespace.
CREATE MACRO ls_trim(x) AS
    CASE
        WHEN contains(ls_ws(), left(x, 1)) OR contains(ls_ws(), right(x, 1))
            THEN trim(x, ls_ws())
        ELSE x
    END;

-- [fields] null_values, lower-cased and trimmed: a (trimmed) cell equal to one is missing.
CREATE MACRO ls_clean(t) AS
    CASE WHEN lower(t) IN ('', 'n/a', 'na', 'null', 'select', '-', 'none') THEN NULL ELSE t END;

-- Tolerant number: drop junk (\s in Rust regex is Unicode White_Space: RE2's \s plus \v,
-- U+0085 and the Z categories), "(12)" -> "-12", then a finite double or NULL.
CREATE MACRO ls_digits(c) AS
    regexp_replace(c, '[\s\x{0B}\x{85}\p{Z}$€£¥₹,_'']', '', 'g');
CREATE MACRO ls_signed(d) AS
    CASE WHEN starts_with(d, '(') AND ends_with(d, ')') THEN '-' || trim(d, '()') ELSE d END;
CREATE MACRO ls_finite(n) AS CASE WHEN isfinite(n) THEN n END;
CREATE MACRO ls_float(c) AS ls_finite(TRY_CAST(ls_signed(ls_digits(c)) AS DOUBLE));
CREATE MACRO ls_int(n) AS CASE WHEN n = floor(n) THEN n END;

CREATE MACRO ls_bool(c) AS
    CASE
        WHEN lower(c) IN ('true', 't', 'yes', 'y', '1') THEN true
        WHEN lower(c) IN ('false', 'f', 'no', 'n', '0') THEN false
    END;

-- Decay weights from a date (NULL date -> full points).
CREATE MACRO ls_age(d) AS greatest(0, DATE '{as_of}' - d);
CREATE MACRO ls_half_life(d, h) AS coalesce(pow(0.5, ls_age(d) / h), 1.0);
CREATE MACRO ls_lifespan(d, l) AS coalesce(greatest(0.0, 1.0 - ls_age(d) / l), 1.0);

CREATE MACRO ls_clamp(x, lo, hi) AS least(greatest(x, lo), hi);

CREATE TYPE ls_tier AS ENUM ('sql', 'mql', 'nurture', 'cold');

COPY (
    WITH
    raw AS (
        SELECT * RENAME ("Annual Revenue" AS annual_revenue)
        FROM read_csv(
            '{csv}',
            header = true, all_varchar = true, delim = ',', quote = '"', escape = '"'
        )
    ),
    -- 1. trimmed text of every field the rules read
    trimmed AS (
        SELECT
            *,
            ls_trim(job_title) AS _title,
            ls_trim(industry) AS _industry,
            ls_trim(employees) AS _employees,
            ls_trim(country) AS _country,
            ls_trim(annual_revenue) AS _revenue,
            ls_trim(email) AS _email,
            ls_trim(demo_requested) AS _demo,
            ls_trim(website_visits) AS _visits,
            ls_trim(pages_viewed) AS _pages,
            ls_trim(email_clicks) AS _clicks,
            ls_trim(content_downloads) AS _downloads,
            ls_trim(webinar_attended) AS _webinar,
            ls_trim(last_activity_date) AS _activity,
            ls_trim(unsubscribed) AS _unsubscribed
        FROM raw
    ),
    -- 2. missing markers become NULL
    cleaned AS (
        SELECT
            * REPLACE (
                ls_clean(_title) AS _title,
                ls_clean(_industry) AS _industry,
                ls_clean(_employees) AS _employees,
                ls_clean(_country) AS _country,
                ls_clean(_revenue) AS _revenue,
                ls_clean(_email) AS _email,
                ls_clean(_demo) AS _demo,
                ls_clean(_visits) AS _visits,
                ls_clean(_pages) AS _pages,
                ls_clean(_clicks) AS _clicks,
                ls_clean(_downloads) AS _downloads,
                ls_clean(_webinar) AS _webinar,
                ls_clean(_activity) AS _activity,
                ls_clean(_unsubscribed) AS _unsubscribed
            )
        FROM trimmed
    ),
    -- 3. typed values (text lower-cased for the case-insensitive comparisons)
    typed AS (
        SELECT
            * REPLACE (
                lower(_industry) AS _industry,
                ls_int(ls_float(_employees)) AS _employees,
                lower(_country) AS _country,
                ls_float(_revenue) AS _revenue,
                lower(_email) AS _email,
                ls_bool(_demo) AS _demo,
                ls_float(_visits) AS _visits,
                ls_float(_pages) AS _pages,
                ls_float(_clicks) AS _clicks,
                ls_float(_downloads) AS _downloads,
                ls_bool(_webinar) AS _webinar,
                TRY_STRPTIME(_activity, '%Y-%m-%d')::DATE AS _activity,
                ls_bool(_unsubscribed) AS _unsubscribed
            )
        FROM cleaned
    ),
    -- 4. raw points per category: each rule gives its points or 0, never NULL
    points AS (
        SELECT
            *,
            (
                -- executive
                CASE WHEN regexp_matches(
                    _title, '(?i)\b(ceo|cto|cfo|coo|cmo|chief|vp|vice president)\b'
                ) THEN 20 ELSE 0 END
                -- manager_or_director
                + CASE WHEN regexp_matches(_title, '(?i)\b(director|head of|manager)\b')
                    THEN 10 ELSE 0 END
                -- student_or_intern (contains, case-insensitive)
                + CASE WHEN contains(lower(_title), 'student') OR contains(lower(_title), 'intern')
                    THEN -25 ELSE 0 END
                -- industry (map; default 0, missing -2)
                + CASE
                    WHEN _industry IS NULL THEN -2
                    WHEN _industry IN ('software', 'saas') THEN 15
                    WHEN _industry = 'financial services' THEN 10
                    WHEN _industry IN ('healthcare', 'manufacturing') THEN 5
                    WHEN _industry IN ('education', 'government') THEN -5
                    WHEN _industry = 'non-profit' THEN -10
                    ELSE 0
                END
                -- company_size (bands include min, exclude max; missing -3)
                + CASE
                    WHEN _employees IS NULL THEN -3
                    WHEN _employees < 10 THEN -10
                    WHEN _employees < 50 THEN 0
                    WHEN _employees < 1000 THEN 12
                    WHEN _employees < 10000 THEN 8
                    ELSE 2
                END
                -- target_country
                + CASE WHEN _country IN ('united states', 'us', 'usa', 'united kingdom', 'uk',
                                         'canada', 'germany') THEN 8 ELSE 0 END
                -- revenue_over_10m
                + CASE WHEN _revenue >= 10000000 THEN 6 ELSE 0 END
                -- free_mail
                + CASE WHEN ends_with(_email, '@gmail.com') OR ends_with(_email, '@yahoo.com')
                         OR ends_with(_email, '@hotmail.com') THEN -10 ELSE 0 END
                -- no_email
                + CASE WHEN _email IS NULL THEN -5 ELSE 0 END
            )::DOUBLE AS _fit_raw,
            (
                -- demo_requested
                CASE WHEN _demo THEN 30 ELSE 0 END
                -- frequent_visitor, decay half-life 45 days
                + CASE WHEN _visits >= 5 THEN 12 * ls_half_life(_activity, 45) ELSE 0 END
                -- deep_browsing, decay half-life 45 days
                + CASE WHEN _pages >= 20 THEN 6 * ls_half_life(_activity, 45) ELSE 0 END
                -- email_clicks (bands; outside and missing 0)
                + CASE WHEN _clicks >= 3 THEN 10 WHEN _clicks >= 1 THEN 5 ELSE 0 END
                -- content_downloads, decay lifespan 180 days
                + CASE WHEN _downloads >= 1 THEN 8 * ls_lifespan(_activity, 180) ELSE 0 END
                -- webinar, decay half-life 60 days
                + CASE WHEN _webinar THEN 10 * ls_half_life(_activity, 60) ELSE 0 END
                -- active_last_30_days (future dates included)
                + CASE WHEN _activity >= DATE '{as_of}' - 30 THEN 8 ELSE 0 END
                -- dormant: older than 180 days, or no date
                + CASE WHEN _activity < DATE '{as_of}' - 180 OR _activity IS NULL
                    THEN -15 ELSE 0 END
                -- unsubscribed
                + CASE WHEN _unsubscribed THEN -30 ELSE 0 END
            )::DOUBLE AS _engagement_raw
        FROM typed
    ),
    -- 5. caps per category, then the total clipped to 0-100
    capped AS (
        SELECT
            *,
            ls_clamp(_fit_raw, -30.0, 50.0) AS _fit,
            ls_clamp(_engagement_raw, -40.0, 60.0) AS _engagement
        FROM points
    ),
    scored AS (
        SELECT
            *,
            round_even(ls_clamp(_fit + _engagement, 0.0, 100.0), 2) AS score,
            round_even(_fit, 2) AS score_fit,
            round_even(_engagement, 2) AS score_engagement
        FROM capped
    )
    SELECT
        COLUMNS(lambda c: NOT starts_with(c, '_')),
        CASE
            WHEN score >= 70 THEN 'sql'
            WHEN score >= 45 THEN 'mql'
            WHEN score >= 20 THEN 'nurture'
            ELSE 'cold'
        END::ls_tier AS tier
    FROM scored
) TO '{out}' (FORMAT parquet);
