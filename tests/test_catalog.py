"""The catalog is consistent with itself and with the reference it encodes."""

from __future__ import annotations

import re

import pytest

from wan_mcp import catalog
from wan_mcp.catalog import MODELS, MODES, REGIONS, SIZES_BY_TIER

GENERATION = [m for m in MODELS if m.kind == "generation"]


def test_every_mode_has_a_default_model_that_serves_it() -> None:
    """DEFAULT_MODELS names real models, each serving its mode, led by the seed's recommendation."""
    seed_defaults = {
        "t2v": "wan2.6-t2v",
        "i2v": "wan2.6-i2v-flash",
        "kf2v": "wan2.2-kf2v-flash",
        "r2v": "wan2.6-r2v-flash",
        "vace": "wanx2.1-vace-plus",
    }
    for mode in MODES:
        ids = catalog.DEFAULT_MODELS[mode]
        for model_id in ids:
            model = catalog.find_model(model_id)
            assert model is not None and mode in model.modes, (mode, model_id)
        if mode in seed_defaults:
            assert ids[0] == seed_defaults[mode]


def test_vace_default_has_its_singapore_name() -> None:
    """The VACE default is wanx2.1-vace-plus in Beijing and wan2.1-vace-plus in Singapore."""
    assert catalog.default_model("vace", "beijing").regions["beijing"].name == "wanx2.1-vace-plus"  # type: ignore[union-attr]
    assert catalog.default_model("vace", "singapore").regions["singapore"].name == "wan2.1-vace-plus"  # type: ignore[union-attr]


def test_names_resolve_uniquely() -> None:
    """Every id and regional name finds exactly its model; no two models share a name."""
    seen: dict[str, str] = {}
    for model in MODELS:
        for alias in model.aliases:
            assert alias not in seen or seen[alias] == model.id, alias
            seen[alias] = model.id
            assert catalog.find_model(alias) is model
    assert catalog.find_model("wan2.1-t2v-turbo") is catalog.find_model("wanx2.1-t2v-turbo")
    assert catalog.find_model("no-such-model") is None


def test_regions_have_base_urls_and_aliases() -> None:
    """The four regions exist with their base URLs; common spellings resolve."""
    assert set(REGIONS) == {"beijing", "singapore", "virginia", "frankfurt"}
    assert REGIONS["beijing"].base_url == "https://dashscope.aliyuncs.com/api/v1"
    assert REGIONS["singapore"].base_url == "https://dashscope-intl.aliyuncs.com/api/v1"
    assert REGIONS["virginia"].base_url == "https://dashscope-us.aliyuncs.com/api/v1"
    assert "{workspace}" in REGIONS["frankfurt"].base_url
    for spelling, region in [
        ("cn-beijing", "beijing"),
        ("INTL", "singapore"),
        ("us-east-1", "virginia"),
        ("eu", "frankfurt"),
    ]:
        assert catalog.find_region(spelling).id == region  # type: ignore[union-attr]
    assert catalog.find_region("mars") is None


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_model_record_is_complete(model: catalog.Model) -> None:
    """Each model has modes, regions with limits, a summary, sources, and limits that agree with each other."""
    assert model.modes and set(model.modes) <= set(MODES)
    assert model.regions and set(model.regions) <= set(REGIONS)
    for offer in model.regions.values():
        assert offer.rps >= 1 and offer.concurrency >= 1 and offer.name and offer.source
    assert model.summary and model.source
    assert model.wire or model.protocol == "detect"
    assert model.endpoint in catalog.ENDPOINT_PATHS
    low, high = model.typical_seconds
    assert 0 < low < high
    if model.param_style == "size":
        assert model.sizes and model.default_size in model.sizes
        assert {catalog.tier_of_size(s) for s in model.sizes} == set(model.tiers)
        for size in model.sizes:
            assert catalog.tier_of_size(size) is not None, size
    if model.param_style in ("size", "resolution", "resolution+ratio"):
        assert model.default_tier in model.tiers
    if model.param_style == "resolution+ratio":
        assert model.default_ratio is None or model.default_ratio in model.ratios
    if model.durations is not None:
        assert model.durations.allows(model.durations.default) or model.durations.default in model.durations.special
        assert model.durations.source
    for currency, price in model.price.items():
        assert price.currency == currency and price.source
        for key in price.per_second:
            assert key in (*model.tiers, "std", "pro", "*"), key
    if model.shot_type:
        assert model.family == "wan2.6"
    if model.custom_audio:
        assert model.audio_input is not None and model.audio != "silent"


def test_wan3_is_listed_under_every_mode_it_serves() -> None:
    """Wan 3.0 (both variants) appears under t2v, i2v, kf2v and r2v, in every region, marked preview."""
    for model_id in ("wan3.0-video", "wan3.0-video-prime"):
        model = catalog.find_model(model_id)
        assert model is not None and model.preview
        assert set(model.modes) == {"t2v", "i2v", "kf2v", "r2v"}
        assert set(model.regions) == set(REGIONS)
        assert model.durations is not None and model.durations.max == 30 and -1 in model.durations.special
        for mode in model.modes:
            assert model in catalog.models_for(mode)


def test_reference_facts_are_encoded() -> None:
    """A sample of the reference's traps, checked against the data."""
    find = catalog.find_model
    kf2v = find("wan2.2-kf2v-flash")
    assert kf2v is not None and kf2v.endpoint == "image2video" and kf2v.audio == "silent"
    assert kf2v.durations is not None and kf2v.durations.fixed and kf2v.durations.min == 5
    vace = find("wanx2.1-vace-plus")
    assert vace is not None and vace.audio == "silent" and vace.prompt_max == 800
    assert set(vace.modes["vace"].functions or {}) == {
        "image_reference",
        "video_repainting",
        "video_edit",
        "video_extension",
        "video_outpainting",
    }
    t2v = find("wan2.6-t2v")
    assert t2v is not None and t2v.param_style == "size" and t2v.prompt_max == 1500 and t2v.custom_audio
    assert t2v.durations is not None and (t2v.durations.min, t2v.durations.max) == (2, 15)
    assert t2v.durations.caution == (5, 10, 15) and "5/10/15" in t2v.durations.caution_source
    assert find("wan2.2-i2v-flash").param_style == "resolution"  # type: ignore[union-attr]
    assert find("wan2.5-t2v-preview").durations.choices == (5, 10)  # type: ignore[union-attr]
    assert find("wan2.2-s2v").regions.keys() == {"beijing"}  # type: ignore[union-attr]
    assert find("wan2.2-animate-mix").result_field == "results.video_url"  # type: ignore[union-attr]
    assert find("wan2.6-i2v-flash").audio == "switch"  # type: ignore[union-attr]
    assert find("wan2.6-r2v-flash").price["CNY"].rate("720P", sound=False) == 0.15  # type: ignore[union-attr]
    assert find("wanx2.1-kf2v-plus").regions["singapore"].rps == 1  # type: ignore[union-attr]
    r2v = find("wan2.6-r2v")
    assert r2v is not None and r2v.regions["virginia"].reference_kinds is None
    assert r2v.regions["virginia"].caution_reference_kinds == ("video",)
    assert r2v.durations_in("virginia") == r2v.durations
    assert r2v.regions["virginia"].caution_durations.choices == (5, 10)  # type: ignore[union-attr]


def test_size_table_matches_reference() -> None:
    """The size lists per tier are exactly the reference's."""
    assert list(SIZES_BY_TIER["480P"].values()) == ["832*480", "480*832", "624*624"]
    assert list(SIZES_BY_TIER["720P"].values()) == ["1280*720", "720*1280", "960*960", "1088*832", "832*1088"]
    assert list(SIZES_BY_TIER["1080P"].values()) == [
        "1920*1080",
        "1080*1920",
        "1440*1440",
        "1632*1248",
        "1248*1632",
    ]


def test_conflicts_keep_their_sources() -> None:
    """Every caution (an older, stricter value) names the older source it comes from."""
    for model in MODELS:
        for limits in (model.image, model.video, model.audio_input, model.voice_input):
            if limits is None:
                continue
            cautious = (
                limits.caution_max_mb,
                limits.caution_min_px,
                limits.caution_max_px,
                limits.caution_min_seconds,
                limits.caution_max_seconds,
            )
            if any(v is not None for v in cautious):
                assert limits.caution_source, (model.id, limits.source)
        if model.durations is not None and model.durations.caution is not None:
            assert model.durations.caution_source, model.id
        for offer in model.regions.values():
            if offer.caution_durations is not None or offer.caution_reference_kinds is not None:
                assert offer.caution_source, model.id


def test_every_mode_is_offered_somewhere_and_beijing_has_all() -> None:
    """Each mode has at least one model, and Beijing (the default region) offers every mode."""
    for mode in MODES:
        assert catalog.models_for(mode)
        assert catalog.default_model(mode, "beijing") is not None
    assert catalog.default_model("kf2v", "virginia").id == "wan3.0-video"  # type: ignore[union-attr]
    assert catalog.default_model("vace", "virginia") is None


CITE = re.compile(r"^(?P<key>[a-z0-9-]+:[a-z0-9-]+) (?P<date>\S+)( \(.+\))?$")


def _cites(text: str) -> list[str]:
    """The '<key> <date> (note)' citations in a fact's source text (several are joined by ' | ')."""
    return [part.removeprefix("older: ").removeprefix("caution: ") for part in text.split(" | ")]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_every_fact_cites_a_known_source_with_its_date(model: catalog.Model) -> None:
    """fact_sources gives each fact a '<key> <date>' citation whose key is in SOURCES and whose date is the key's."""
    facts = catalog.fact_sources(model)
    assert {"modes", "durations", "region:" + next(iter(model.regions))} <= set(facts) | (
        {"durations"} if model.durations is None else set()
    )
    for name, text in facts.items():
        for cite in _cites(text.removesuffix(" — an estimate")):
            match = CITE.match(cite)
            if match is None:  # a free-text caution (e.g. an uncertain regional offer)
                assert name.startswith("region:") and model.regions[name[7:]].caution, (name, cite)
                continue
            assert match["key"] in catalog.SOURCES, (model.id, name, cite)
            assert match["date"] == catalog.SOURCES[match["key"]].date, (model.id, name, cite)


def test_prices_say_whether_they_are_estimates() -> None:
    """fact_sources marks every unofficial price as an estimate, and the official ones not."""
    for model in MODELS:
        facts = catalog.fact_sources(model)
        for currency, price in model.price.items():
            assert facts[f"price:{currency}"].endswith(" — an estimate") is (not price.official), model.id


def test_uploads_by_region_follow_the_newest_page() -> None:
    """Temporary storage exists in Beijing and Singapore (2026-10 page); Singapore keeps the older page as a caution."""
    assert [r.id for r in REGIONS.values() if r.uploads] == ["beijing", "singapore"]
    assert "mstudio:temp-url-old" in REGIONS["singapore"].uploads_caution


def test_wan27_facts_follow_their_api_references() -> None:
    """wan2.7 prompts take 5,000 characters; videoedit's prompt is optional and its ratio follows the input video."""
    for model_id in ("wan2.7-t2v", "wan2.7-i2v", "wan2.7-r2v", "wan2.7-videoedit"):
        model = catalog.find_model(model_id)
        assert model is not None and model.prompt_max == 5000 and model.negative_prompt_max == 500
    edit = catalog.find_model("wan2.7-videoedit")
    assert edit is not None and edit.prompt == "optional" and edit.default_ratio is None
    assert edit.modes["vace"].max_items == {"ref_images": 4} and edit.input_billing is not None
    assert catalog.find_model("wan2.7-i2v").image.data_uri  # type: ignore[union-attr]
    assert catalog.find_model("wan3.0-video").image.data_uri  # type: ignore[union-attr]


@pytest.mark.parametrize(("count", "cap"), [(1, 5.0), (2, 2.5), (3, 1.65), (4, 1.25), (5, 1.0)])
def test_reference_video_cap_matches_the_guide(count: int, cap: float) -> None:
    """The per-video cap of reference-video billing is the guide's table: 5 ÷ n in 0.05 s steps."""
    billing = catalog.find_model("wan2.7-r2v").input_billing  # type: ignore[union-attr]
    assert billing is not None and billing.per_video_cap(count, count) == pytest.approx(cap)


def test_uncertain_offers_are_never_defaults() -> None:
    """A regional offer marked with a caution is accepted when named but never chosen as a default."""
    for mode in MODES:
        for region in REGIONS:
            model = catalog.default_model(mode, region)
            assert model is None or not model.regions[region].caution, (mode, region)


@pytest.mark.parametrize(
    ("snapshot", "base"),
    [
        ("wan2.7-t2v-2026-04-25", "wan2.7-t2v"),
        ("wan2.7-t2v-2026-06-12", "wan2.7-t2v"),
        ("wan2.7-i2v-2026-04-25", "wan2.7-i2v"),
        ("wan2.7-r2v-2026-06-12", "wan2.7-r2v"),
    ],
)
def test_dated_wan27_snapshots_are_models(snapshot: str, base: str) -> None:
    """The dated wan2.7 ids of the official examples are models with their base's limits, sent under their own name,
    never chosen as a default (bailian:wan27-*-api, bailian:r2v-guide)."""
    model, parent = catalog.find_model(snapshot), catalog.find_model(base)
    assert model is not None and parent is not None and model.snapshot_of == base
    assert {o.name for o in model.regions.values()} == {snapshot} and model.regions.keys() == parent.regions.keys()
    assert (model.prompt_max, model.durations, model.image, model.modes) == (
        parent.prompt_max,
        parent.durations,
        parent.image,
        parent.modes,
    )
    assert snapshot not in {m for ids in catalog.DEFAULT_MODELS.values() for m in ids}
    assert "id" in catalog.fact_sources(model)
