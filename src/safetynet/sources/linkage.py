"""Probabilistic record linkage (概率匹配) of source rows whose ID number is missing or wrong.

A department's row whose ID number fails validation (wrong length, format, birth date or check
digit) still names a person: its name, usually most of the ID digits, and sometimes a sex or
region column. :func:`link_rows` scores those rows against the registry's persons with Splink
(Fellegi–Sunter, DuckDB backend, ``link_type="link_only"``) and returns, per row, the most likely
person, its match probability and the runner-up's, so ingestion can accept a confident link and
send the rest to the clerical review queue (人工核对) instead of guessing.

How the model's parameters are set — never trained on the demo's ground truth:

* **u** (how often two *different* persons agree at a level) is estimated by Splink's random
  sampling of pairs *within the registry*: registry rows are distinct persons by construction,
  so every sampled pair is a true non-match, which is exactly what u measures. Levels never
  seen in the sample (e.g. two different persons whose ID numbers differ in one digit) keep the
  stated prior in :data:`_LEVELS`. EM on the candidate rows was rejected: a batch rarely brings
  more than a few hundred bad-ID rows, often a handful, far too few for EM to converge to
  anything stable, and the result would change from batch to batch.
* **m** (how often the *same* person agrees at a level, given that the row's ID failed
  validation) is set from stated assumptions about keying errors: one mistyped or transposed
  digit is by far the commonest fault; a name is usually right, sometimes one character off (a
  homophone), rarely otherwise; a declared region agrees with the registry's about 3 times in 4
  (people move and registries lag).
* The prior ``probability_two_random_records_match`` is ``1 / max(persons, MIN_POPULATION)``:
  a bad-ID row is at most one of the registry's persons, and a small registry must not make any
  one of them look likely just because there are few to choose from.

The birth date read from the row's own ID digits (the raw 8 date digits, even when they do not
form a date) is a blocking key, not a comparison: it comes from the same keystrokes as the ID
number, and scoring both counted one piece of evidence twice — on a synthetic city, a person born
the same day in the same county whose ID differed in two digits came out at p≈0.998. For the same
reason sex is compared only when the source declares a sex column (``link_columns`` in the
catalogue), never when read from the 17th digit. Two valid ID numbers never differ by one digit or
one adjacent swap (the MOD 11-2 check catches both), which is why that level's u is tiny.
:func:`link_rows` also reports the runner-up so a caller can refuse to choose between two
plausible persons (see ``RUNNER_UP_MAX``).
"""

from __future__ import annotations

import copy
import logging
import math
import random

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db.models import Count, Max
from pypinyin import Style, lazy_pinyin
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink import comparison_level_library as cll
from splink import comparison_library as cl
from splink.blocking_rule_library import CustomRule
from splink.internals.exceptions import EMTrainingException

from safetynet.registry.models import Person

#: The link probability at or above which a row lands with the linked person's ID number.
DEFAULT_THRESHOLD = 0.95
#: A link is accepted only if the second most likely person is less likely than not.
RUNNER_UP_MAX = 0.5
MIN_POPULATION = 10_000
U_SAMPLE_PAIRS = 1_000_000
#: u is estimated on a random sample of this many registry persons (any two are a non-match).
U_SAMPLE_PERSONS = 100_000
SEED = 20261031

#: The fields both sides carry. ``unique_id`` is the row number (candidates) or person id.
LINK_FIELDS = (
    "id_number", "id_rest", "name", "name_pinyin", "surname", "given_name", "given_pinyin", "birth_digits", "sex", "hukou_region_code", "residence_region_code",
)
CANDIDATE_SCHEMA = pa.schema(
    [pa.field("unique_id", pa.int64(), nullable=False), *(pa.field(f, pa.string()) for f in LINK_FIELDS)]
)
RESULT_SCHEMA = pa.schema(
    [
        pa.field("unique_id", pa.int64(), nullable=False),
        pa.field("person_id", pa.int64()),
        pa.field("person_id_number", pa.string()),
        pa.field("person_name", pa.string()),
        pa.field("match_probability", pa.float64()),
        pa.field("runner_up_probability", pa.float64()),
    ]
)


def candidates_sql(source, table: str) -> str:
    """A query over ``table`` (all-text columns plus ``_row``) giving :data:`CANDIDATE_SCHEMA`
    rows; the caller filters it to the rows whose only fault is the person key."""
    key = f'upper(trim("{source.person_key}"))'
    declared = {field: f'NULLIF(trim("{column}"), \'\')' for field, column in source.link_columns.items()}
    return f"""SELECT _row AS unique_id, {key} AS id_number, substr({key}, 1, 6) || substr({key}, 15) AS id_rest,
        trim(name) AS name, NULL::VARCHAR AS name_pinyin,
        substr(trim(name), 1, 1) AS surname, NULLIF(substr(trim(name), 2), '') AS given_name,
        NULL::VARCHAR AS given_pinyin,
        CASE WHEN regexp_full_match(substr({key}, 7, 8), '[0-9]{{8}}') THEN substr({key}, 7, 8) END AS birth_digits,
        {declared.get("sex", "NULL")}::VARCHAR AS sex,
        {declared.get("hukou_region_code", "NULL")}::VARCHAR AS hukou_region_code,
        {declared.get("residence_region_code", "NULL")}::VARCHAR AS residence_region_code
        FROM {table}"""


def link_threshold() -> float:
    return float(getattr(settings, "SAFETYNET_LINK_THRESHOLD", DEFAULT_THRESHOLD))


_registry_cache: dict[tuple, pa.Table] = {}


def registry_persons() -> pa.Table:
    """Every registry person as a linkage table, in one query; kept while the registry is unchanged
    (a folder of batches is linked against one read: at a million persons the read costs ~5 s)."""
    key = tuple(Person.objects.aggregate(n=Count("id"), last_id=Max("id"), changed=Max("updated_at")).values())
    if key not in _registry_cache:
        _registry_cache.clear()
        _registry_cache[key] = _registry_read()
    return _registry_cache[key]


def _registry_read() -> pa.Table:
    return with_pinyin(_registry_columns())


def _registry_columns() -> pa.Table:
    rows = Person.objects.values_list(
        "id", "id_number", "name", "birth_date", "sex", "hukou_region__code", "residence_region__code"
    )
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    return pa.table(
        {
            "unique_id": pa.array(cols[0], pa.int64()),
            "id_number": pa.array(cols[1], pa.string()),
            "id_rest": pa.array([i[:6] + i[14:] for i in cols[1]], pa.string()),
            "name": pa.array(cols[2], pa.string()),
            "name_pinyin": pa.array([None] * len(cols[0]), pa.string()),
            "surname": pa.array([n[:1] if n else None for n in cols[2]], pa.string()),
            "given_name": pa.array([n[1:] or None if n else None for n in cols[2]], pa.string()),
            "given_pinyin": pa.array([None] * len(cols[0]), pa.string()),
            "birth_digits": pa.array([d.strftime("%Y%m%d") for d in cols[3]], pa.string()),
            "sex": pa.array(cols[4], pa.string()),
            "hukou_region_code": pa.array(cols[5], pa.string()),
            "residence_region_code": pa.array(cols[6], pa.string()),
        },
        schema=CANDIDATE_SCHEMA,
    )


_pinyin_cache: dict[str, tuple[str, ...]] = {}


def _syllables(name: str) -> tuple[str, ...]:
    value = _pinyin_cache.get(name)
    if value is None:
        value = tuple(lazy_pinyin(name, style=Style.NORMAL, errors="default"))
        if len(_pinyin_cache) < 2_000_000:
            _pinyin_cache[name] = value
    return value


def pinyin_of(names) -> list[str | None]:
    """Each name's pinyin without tones (张三 → zhangsan), so homophone typos (张珊) compare equal.
    Computed once per distinct name (a city has far fewer names than persons)."""
    return ["".join(_syllables(n)) if n else None for n in names]


def with_pinyin(table: pa.Table) -> pa.Table:
    """``table`` with the columns derived from ``id_number`` and ``name`` filled: ``id_rest`` (the
    ID without its birth date), ``surname``, ``given_name`` and their pinyin."""
    ids = table.column("id_number")
    names = table.column("name")
    id_rest = pc.binary_join_element_wise(pc.utf8_slice_codeunits(ids, 0, 6), pc.utf8_slice_codeunits(ids, 14), "")
    table = table.set_column(table.schema.get_field_index("id_rest"), "id_rest", id_rest)
    table = table.set_column(table.schema.get_field_index("surname"), "surname", pc.utf8_slice_codeunits(names, 0, 1))
    given = pc.if_else(pc.greater(pc.utf8_length(names), 1), pc.utf8_slice_codeunits(names, 1), pa.scalar(None, pa.string()))
    table = table.set_column(table.schema.get_field_index("given_name"), "given_name", given)
    # Each distinct name once (a million persons share some hundred thousand names), then
    # spread back by the dictionary's indices: no Python loop over the rows.
    names = names.combine_chunks() if isinstance(names, pa.ChunkedArray) else names
    encoded = pc.dictionary_encode(names.cast(pa.string()))
    syllables = [_syllables(n) if n else None for n in encoded.dictionary.to_pylist()]
    full = pa.array(["".join(s) if s else None for s in syllables], pa.string())
    given = pa.array(["".join(s[1:]) or None if s else None for s in syllables], pa.string())
    full, given = pc.take(full, encoded.indices), pc.take(given, encoded.indices)
    table = table.set_column(table.schema.get_field_index("name_pinyin"), "name_pinyin", full)
    return table.set_column(table.schema.get_field_index("given_pinyin"), "given_pinyin", given)


def _level(level, m: float, u: float):
    return level.configure(m_probability=m, u_probability=u)


def _hamming(column: str) -> str:
    return f"CASE WHEN length({column}_l) = length({column}_r) THEN hamming({column}_l, {column}_r) END"


def _one_keystroke_off(column: str) -> cll.CustomLevel:
    # DuckDB's damerau_levenshtein is slow (~20 µs a pair); the nested CASE keeps it to the
    # rare pairs that differ in exactly two places, where it tells a transposition apart.
    h = _hamming(column)
    return cll.CustomLevel(
        f"{h} <= 1 OR CASE WHEN {h} = 2 THEN damerau_levenshtein({column}_l, {column}_r) END <= 1",
        label_for_charts="one digit substituted or two adjacent digits swapped",
    )


def _two_keystrokes_off(column: str) -> cll.CustomLevel:
    return cll.CustomLevel(
        f"{_hamming(column)} <= 2 OR CASE WHEN abs(length({column}_l) - length({column}_r)) = 1 "
        f"THEN levenshtein({column}_l, {column}_r) END <= 1",
        label_for_charts="two digits substituted, or one dropped or added",
    )


def _name_one_character_off(column: str = "name") -> cll.CustomLevel:
    # DuckDB's levenshtein counts UTF-8 bytes, so a one-character change in a Chinese name scores
    # 1 to 3; compare characters instead (substr is character-based). Names are 2–4 characters.
    c = column
    diffs = " + ".join(f"CAST(substr({c}_l, {i}, 1) <> substr({c}_r, {i}, 1) AS INTEGER)" for i in range(1, 5))
    return cll.CustomLevel(
        f"length({c}_l) = length({c}_r) AND substr({c}_l, 5) = substr({c}_r, 5) AND ({diffs}) = 1",
        label_for_charts="one character substituted",
    )


def _region(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            _level(cll.ExactMatchLevel(column), 0.75, 1e-3),
            _level(cll.CustomLevel(f"substr({column}_l, 1, 9) = substr({column}_r, 1, 9)", "same street"), 0.05, 5e-3),
            _level(cll.CustomLevel(f"substr({column}_l, 1, 6) = substr({column}_r, 1, 6)", "same county"), 0.10, 0.05),
            _level(cll.ElseLevel(), 0.10, 0.94),
        ],
    )


def _birth_swapped() -> cll.CustomLevel:
    # YYYYMMDD: day and month keyed the wrong way round (19800517 → 19801705).
    return cll.CustomLevel(
        "substr(birth_digits_l, 1, 4) = substr(birth_digits_r, 1, 4) "
        "AND substr(birth_digits_l, 5, 2) = substr(birth_digits_r, 7, 2) "
        "AND substr(birth_digits_l, 7, 2) = substr(birth_digits_r, 5, 2)",
        label_for_charts="day and month swapped",
    )


def _birth_year_off_by_one() -> cll.CustomLevel:
    return cll.CustomLevel(
        "substr(birth_digits_l, 5, 4) = substr(birth_digits_r, 5, 4) AND "
        "abs(TRY_CAST(substr(birth_digits_l, 1, 4) AS INTEGER) - TRY_CAST(substr(birth_digits_r, 1, 4) AS INTEGER)) = 1",
        label_for_charts="year off by one",
    )


def _comparisons() -> list[cl.CustomComparison]:
    """The levels, each with a stated prior m and u. Training (:func:`train_model`) re-estimates u
    by random sampling and m by expectation–maximisation; a level the training data never shows
    keeps its prior.

    The keying-fault levels of the ID number and birth date keep their stated m (``fix_m``): the
    rows linked are exactly those whose ID failed validation, while the rows EM learns from nearly
    all carry a right one, so EM would learn m ≈ 0.001 for "one digit off" — the rate of faults in
    all rows — and score the very fault that brought a row here as no evidence at all."""
    return [
        # The ID number without its birth date (region, sequence, check digit): the birth date is
        # compared on its own below, so one wrong digit is not counted twice.
        cl.CustomComparison(
            output_column_name="id_rest",
            comparison_levels=[
                cll.NullLevel("id_rest"),
                _level(cll.ExactMatchLevel("id_rest"), 0.97, 1e-5),
                # One substituted or two transposed digits: the usual keying fault.
                _level(_one_keystroke_off("id_rest"), 0.02, 1e-4).configure(fix_m_probability=True),
                _level(_two_keystrokes_off("id_rest"), 0.005, 1e-3).configure(fix_m_probability=True),
                _level(cll.ElseLevel(), 0.005, 0.999),
            ],
        ),
        # The surname, weighted by how common it is (王, 李, 张 say less than 欧阳): Splink's
        # term-frequency adjustment on the surname column.
        cl.CustomComparison(
            output_column_name="surname",
            comparison_levels=[
                cll.NullLevel("surname"),
                _level(cll.ExactMatchLevel("surname", term_frequency_adjustments=True), 0.98, 0.02),
                _level(cll.ElseLevel(), 0.02, 0.98),
            ],
        ),
        cl.CustomComparison(
            output_column_name="given_name",
            comparison_levels=[
                cll.NullLevel("given_name"),
                _level(cll.ExactMatchLevel("given_name"), 0.93, 2e-3),
                _level(cll.ExactMatchLevel("given_pinyin"), 0.03, 2e-3).configure(label_for_charts="same pinyin (homophone)"),
                _level(_name_one_character_off("given_name"), 0.02, 2e-2),
                _level(cll.JaroWinklerLevel("given_pinyin", 0.88), 0.01, 0.03),
                _level(cll.ElseLevel(), 0.01, 0.95),
            ],
        ),
        cl.CustomComparison(
            output_column_name="birth_digits",
            comparison_levels=[
                cll.NullLevel("birth_digits"),
                _level(cll.ExactMatchLevel("birth_digits"), 0.95, 4e-5),
                _level(_one_keystroke_off("birth_digits"), 0.03, 5e-4).configure(fix_m_probability=True),
                _level(_birth_swapped(), 0.01, 4e-5).configure(fix_m_probability=True),
                _level(_birth_year_off_by_one(), 0.005, 1e-4).configure(fix_m_probability=True),
                _level(cll.ElseLevel(), 0.005, 0.999),
            ],
        ),
        cl.CustomComparison(
            output_column_name="sex",
            comparison_levels=[
                cll.NullLevel("sex"),
                _level(cll.ExactMatchLevel("sex"), 0.95, 0.5),
                _level(cll.ElseLevel(), 0.05, 0.5),
            ],
        ),
        _region("hukou_region_code"),
        _region("residence_region_code"),
    ]


def _id_digits(start: int, stop: int) -> str:
    """ID digits ``start``..``stop`` (1-based, inclusive) as a blocking expression."""
    return f"substr(id_number, {start}, {stop - start + 1})"


#: Blocking rules: which registry persons a row is compared with at all. Each rule must be
#: selective at a million persons (a rule matching a county, a birth year or a common name pairs
#: every bad row with thousands of persons, and predict's cost is the number of pairs).
#:
#: A keying fault — one digit substituted, two adjacent digits swapped, or day and month swapped —
#: changes digits inside one of four overlapping windows (1–8, 7–14, 13–16, 15–18), so the ID
#: without that window is intact: positions 9–18, 1–6 + 15–18 (``id_rest``), 1–12 + 17–18, 1–14;
#: each keeps ten or more digits, sequence or full birth date included. A row whose ID has
#: other faults still meets its person through the birth date, or the name's pinyin within the
#: county; a row with no usable ID (missing, or not 18 characters) is compared by name alone.
_BLOCKING = [
    block_on(_id_digits(9, 18)),
    block_on("id_rest"),
    block_on(f"{_id_digits(1, 12)} || {_id_digits(17, 18)}"),
    block_on(_id_digits(1, 14)),
    block_on("birth_digits"),
    block_on("name_pinyin", _id_digits(1, 6)),
    CustomRule(
        "l.name = r.name AND (l.id_number IS NULL OR r.id_number IS NULL "
        "OR length(l.id_number) <> 18 OR length(r.id_number) <> 18)"
    ),
]


def _settings(link_type: str, persons: int) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1 / max(persons, MIN_POPULATION),
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=_BLOCKING,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


_model_cache: dict[tuple, dict] = {}


def _estimated_u(persons: pa.Table) -> dict:
    """The model with u re-estimated from random pairs of registry persons (all non-matches).

    Kept for the process while the registry's rows stay the same (a few seconds saved per batch).
    """
    key = (persons.num_rows, _registry_fingerprint(persons))
    if key in _model_cache:
        return copy.deepcopy(_model_cache[key])
    population = persons.num_rows
    if population > U_SAMPLE_PERSONS:  # Splink samples ~1,400 rows for 10^6 pairs: no need to hand it all
        persons = persons.take(np.sort(np.random.default_rng(SEED).choice(population, U_SAMPLE_PERSONS, replace=False)))
    db = DuckDBAPI(duckdb.connect())
    linker = Linker(db.register(persons), _settings("dedupe_only", population), log_level=logging.ERROR)
    pairs = persons.num_rows * (persons.num_rows - 1) // 2
    if pairs:
        linker.training.estimate_u_using_random_sampling(max_pairs=min(pairs, U_SAMPLE_PAIRS), seed=SEED)
    model = linker.misc.save_model_to_json()
    model["link_type"] = "link_only"
    _model_cache.clear()
    _model_cache[key] = model
    return copy.deepcopy(model)


#: Blocking rules for expectation–maximisation: each leaves the other comparisons free to be
#: estimated, and together they estimate every comparison at least once.
EM_BLOCKING = [
    block_on("id_number"),  # name, sex, regions
    block_on("name", "birth_digits"),  # the ID number's other digits, sex, regions
    block_on("id_rest", "surname"),  # given name, birth date
]
#: Fewer rows than this (or persons) and EM is not run: the stated m priors stand.
MIN_TRAINING_ROWS = 1_000
TRAINING_SAMPLE = 30_000
_trained_cache: dict[tuple, dict] = {}


def train_model(rows: pa.Table, persons: pa.Table | None = None, *, cache_key: str | None = None) -> dict:
    """A model trained for one source (Splink's JSON, with ``safetynet_training`` saying how).

    ``rows`` are the source's rows (:data:`CANDIDATE_SCHEMA`; most carry a right ID number, which
    is what lets EM see what agreement looks like for the same person). u comes from random pairs
    of registry persons (:func:`_estimated_u`), m from EM over :data:`EM_BLOCKING` on a sample of
    the rows linked to the registry. The prior probability stays ``1 / persons``. With
    ``cache_key`` (the source's name) a model is reused while the registry is unchanged."""
    persons = registry_persons() if persons is None else persons.select(CANDIDATE_SCHEMA.names).cast(CANDIDATE_SCHEMA)
    key = (cache_key, persons.num_rows, id(persons) if cache_key is None else _registry_fingerprint(persons))
    if cache_key is not None and key in _trained_cache:
        return copy.deepcopy(_trained_cache[key])
    model = _estimated_u(persons)
    rows = rows.select(CANDIDATE_SCHEMA.names).cast(CANDIDATE_SCHEMA)
    if rows.num_rows > TRAINING_SAMPLE:
        rows = rows.take(sorted(random.Random(SEED).sample(range(rows.num_rows), TRAINING_SAMPLE)))
    trained = rows.num_rows >= MIN_TRAINING_ROWS and persons.num_rows >= MIN_TRAINING_ROWS
    if trained:
        rows = with_pinyin(rows)
        con = duckdb.connect()
        db = DuckDBAPI(con)
        linker = Linker(
            [db.register(rows, dataset_display_name="rows"), db.register(_em_persons(con, rows, persons), dataset_display_name="registry")],
            model,
            log_level=logging.ERROR,
        )
        used = []
        for rule in EM_BLOCKING:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, fix_probability_two_random_records_match=True, estimate_without_term_frequencies=True
                )
            except EMTrainingException:  # no pair in this sample agrees on the rule: the others still train
                continue
            used.append(rule.get_blocking_rule("duckdb").blocking_rule_sql)
        trained = bool(used)
        model = linker.misc.save_model_to_json()
    model["safetynet_training"] = {
        "u": "random sampling of registry pairs",
        "m": "expectation-maximisation" if trained else "stated priors (too few rows to train)",
        "em_blocking": used if trained else [],
        "training_rows": rows.num_rows,
        "persons": persons.num_rows,
        "seed": SEED,
    }
    if cache_key is not None:
        _trained_cache.clear() if len(_trained_cache) > 32 else None
        _trained_cache[key] = model
    return copy.deepcopy(model)


def _em_persons(con: duckdb.DuckDBPyConnection, rows: pa.Table, persons: pa.Table) -> pa.Table:
    """The persons that share a key of :data:`EM_BLOCKING` with a training row: EM sees exactly
    the pairs it would see against the whole registry (it runs without term frequencies), and a
    million-person registry shrinks to the few thousand it can pair with."""
    con.register("em_rows", rows)
    con.register("em_persons", persons)
    return con.sql(
        """SELECT * FROM em_persons WHERE unique_id IN (
            SELECT p.unique_id FROM em_persons p JOIN em_rows r ON p.id_number = r.id_number
            UNION SELECT p.unique_id FROM em_persons p JOIN em_rows r ON p.name = r.name AND p.birth_digits = r.birth_digits
            UNION SELECT p.unique_id FROM em_persons p JOIN em_rows r ON p.id_rest = r.id_rest AND p.surname = r.surname
        ) ORDER BY unique_id"""
    ).to_arrow_table().cast(CANDIDATE_SCHEMA)


def _registry_fingerprint(persons: pa.Table) -> int:
    step = max(1, persons.num_rows // 1000)
    return hash(tuple(persons.column("id_number").take(np.arange(0, persons.num_rows, step)).to_pylist()))


def match_weights(model: dict) -> list[dict]:
    """Each comparison level's m, u and match weight (log2 m/u) from a saved model, for a page."""
    out = []
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            out.append(
                {
                    "comparison": comparison.get("output_column_name"),
                    "level": level.get("label_for_charts") or level.get("sql_condition"),
                    "m": m,
                    "u": u,
                    "weight": weight,
                    "tf": level.get("tf_adjustment_column"),
                }
            )
    return out


def link_rows(candidates: pa.Table, persons: pa.Table | None = None, model: dict | None = None) -> pa.Table:
    """Score ``candidates`` (:data:`CANDIDATE_SCHEMA`, ``unique_id`` = row number) against the
    registry (``persons``, default :func:`registry_persons`) with ``model`` (default: the stated
    priors with u re-estimated; ingestion passes the source's :func:`train_model`).

    Returns one row per candidate (:data:`RESULT_SCHEMA`): the most likely person (null when no
    person shares a blocking key), its match probability and the runner-up's probability.
    """
    candidates = candidates.select(CANDIDATE_SCHEMA.names).cast(CANDIDATE_SCHEMA)
    persons = registry_persons() if persons is None else persons.select(CANDIDATE_SCHEMA.names).cast(CANDIDATE_SCHEMA)
    con = duckdb.connect()
    con.register("candidates_arrow", candidates)
    if candidates.num_rows == 0 or persons.num_rows == 0:
        return con.sql(
            "SELECT unique_id, NULL::BIGINT, NULL::VARCHAR, NULL::VARCHAR, NULL::DOUBLE, NULL::DOUBLE FROM candidates_arrow"
        ).to_arrow_table().rename_columns(RESULT_SCHEMA.names).cast(RESULT_SCHEMA)

    candidates = with_pinyin(candidates)
    con.register("candidates_arrow", candidates)
    model = copy.deepcopy(model) if model is not None else _estimated_u(persons)
    model["link_type"] = "link_only"
    model.pop("safetynet_training", None)
    db = DuckDBAPI(con)
    linker = Linker(
        [db.register(candidates, dataset_display_name="candidates"), db.register(persons, dataset_display_name="registry")],
        model,
        log_level=logging.ERROR,
    )
    scored = linker.inference.predict().as_pyarrow_table()
    con.register("scored", scored)
    con.register("persons_arrow", persons)
    return (
        con.sql(
            """
            WITH pairs AS (
                SELECT CASE WHEN source_dataset_l = 'candidates' THEN unique_id_l ELSE unique_id_r END AS row_id,
                       CASE WHEN source_dataset_l = 'candidates' THEN unique_id_r ELSE unique_id_l END AS person_id,
                       match_probability
                FROM scored
            ), ranked AS (
                SELECT *, row_number() OVER (PARTITION BY row_id ORDER BY match_probability DESC, person_id) AS rank
                FROM pairs
            ), best AS (
                SELECT row_id,
                       any_value(person_id) FILTER (WHERE rank = 1) AS person_id,
                       max(match_probability) FILTER (WHERE rank = 1) AS match_probability,
                       max(match_probability) FILTER (WHERE rank = 2) AS runner_up_probability
                FROM ranked GROUP BY row_id
            )
            SELECT c.unique_id, b.person_id, p.id_number, p.name, b.match_probability,
                   coalesce(b.runner_up_probability, 0.0)
            FROM candidates_arrow c
            LEFT JOIN best b ON b.row_id = c.unique_id
            LEFT JOIN persons_arrow p ON p.unique_id = b.person_id
            ORDER BY c.unique_id
            """
        )
        .to_arrow_table()
        .rename_columns(RESULT_SCHEMA.names)
        .cast(RESULT_SCHEMA)
    )


def accepted(result_row: dict, threshold: float) -> bool:
    """A link is taken only when it is confident and no second person is plausible."""
    p = result_row["match_probability"]
    return p is not None and p >= threshold and (result_row["runner_up_probability"] or 0.0) < RUNNER_UP_MAX


