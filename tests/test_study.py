"""The study runner: study files, scenarios, metrics, outputs and the `centrereach run` command."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from centrereach import outputs
from centrereach.cli import main
from centrereach.errors import SnapWarning, StudyFileError, UnknownCentreError
from centrereach.metrics import summary_table, weighted_mean, weighted_quantile
from centrereach.outputs import write_outputs
from centrereach.scenarios import Scenario, evaluate_scenarios, scenario_from_spec
from centrereach.study import Study
from centrereach.synthetic import synthetic_study

ROOT = Path(__file__).resolve().parents[1]
AREA_COLUMNS = [
    "lsoa_code", "lsoa_name", "lad_code", "lad_name", "imd_decile", "population", "children",
    "scenario", "mode", "time_min", "centre_id", "baseline_time_min", "baseline_centre_id",
    "change_min",
]  # fmt: skip
SUMMARY_COLUMNS = [
    "scenario", "mode", "imd_decile", "areas", "population", "children", "mean_time_min",
    "median_time_min", "p90_time_min",
]  # fmt: skip


def _run(study: str, out: Path, shared: Path, *extra: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["run", str(ROOT / "studies" / study), "--out", str(out), "--data-dir", str(shared),
         "--quiet", *extra],
    )  # fmt: skip
    return result.exit_code, result.output


@pytest.fixture
def chesterfield(chesterfield_run: tuple[Path, str]) -> tuple[Path, str]:
    return chesterfield_run


@pytest.fixture
def rutland(rutland_run: tuple[Path, str]) -> tuple[Path, str]:
    return rutland_run


@pytest.fixture(params=["chesterfield", "rutland"])
def run_output(request: pytest.FixtureRequest) -> tuple[Path, str]:
    return request.getfixturevalue(request.param)


# ---------------------------------------------------------------- end to end on real data


def test_outputs_exist_with_columns(run_output: tuple[Path, str]) -> None:
    out, _ = run_output
    for name in ("areas.csv", "areas.gpkg", "summary.csv", "equity.csv", "results.xlsx",
                 "study.json"):  # fmt: skip
        assert (out / name).is_file(), name
    areas = pd.read_csv(out / "areas.csv")
    assert set(AREA_COLUMNS) <= set(areas.columns)
    summary = pd.read_csv(out / "summary.csv")
    assert set(SUMMARY_COLUMNS) <= set(summary.columns)
    for t in (15, 30, 45, 60):
        assert f"within_{t}_pct" in summary.columns
        assert f"newly_beyond_{t}" in summary.columns
    equity = pd.read_csv(out / "equity.csv")
    assert {"scenario", "mode", "concentration_index", "gini"} <= set(equity.columns)
    sheets = pd.read_excel(out / "results.xlsx", sheet_name=None)
    assert {"summary", "equity", "areas"} <= set(sheets)
    assert len(sheets["areas"]) == len(areas)
    import geopandas as gpd

    gpkg = gpd.read_file(out / "areas.gpkg")
    assert len(gpkg) == len(areas)
    assert gpkg.geometry.notna().all()


def test_baseline_is_smallest_over_scenarios(run_output: tuple[Path, str]) -> None:
    out, _ = run_output
    areas = pd.read_csv(out / "areas.csv")
    best = areas.groupby(["lsoa_code", "mode"])["time_min"].min()
    base = areas[areas["scenario"] == "baseline"].set_index(["lsoa_code", "mode"])["time_min"]
    assert np.allclose(base.sort_index(), best.loc[base.sort_index().index], atol=1e-3)
    assert (areas["change_min"] >= -1e-9).all()
    assert np.allclose(
        areas["change_min"], areas["time_min"] - areas["baseline_time_min"], atol=2e-3
    )


def test_summary_agrees_with_areas(run_output: tuple[Path, str]) -> None:
    out, _ = run_output
    areas = pd.read_csv(out / "areas.csv")
    summary = pd.read_csv(out / "summary.csv", dtype={"imd_decile": "Int64"})
    for (scenario, mode), part in areas.groupby(["scenario", "mode"]):
        rows = summary[(summary["scenario"] == scenario) & (summary["mode"] == mode)]
        assert len(rows) == part["imd_decile"].nunique() + 1  # each decile, and all areas
        for decile, group in [*part.groupby("imd_decile"), (None, part)]:
            if decile is None:
                row = rows[rows["group"] == "all"].iloc[0]
                assert pd.isna(row["imd_decile"])
            else:
                row = rows[(rows["group"] == "decile") & (rows["imd_decile"] == decile)].iloc[0]
            w = group["children"].to_numpy(float)
            t = group["time_min"].to_numpy(float)
            b = group["baseline_time_min"].to_numpy(float)
            assert row["areas"] == len(group)
            assert row["children"] == pytest.approx(w.sum(), abs=0.05)
            assert row["mean_time_min"] == pytest.approx((w * t).sum() / w.sum(), abs=2e-3)
            assert row["within_15_pct"] == pytest.approx(100 * w[t <= 15].sum() / w.sum(), abs=0.5)
            assert row["newly_beyond_30"] == pytest.approx(w[(b <= 30) & (t > 30)].sum(), abs=1)


def test_study_json_records_inputs(run_output: tuple[Path, str]) -> None:
    out, _ = run_output
    meta = json.loads((out / "study.json").read_text())
    assert meta["speed_model"] == "realistic"
    assert meta["versions"]["centrereach"]
    boundaries = meta["inputs"]["boundaries"][0]
    assert len(boundaries["sha256"]) == 64
    for mode in ("drive", "walk"):
        assert meta["networks"][mode]["nodes"] > 1000
        assert len(meta["networks"][mode]["sha256"]) == 64


def test_chesterfield_console_summary(chesterfield: tuple[Path, str]) -> None:
    out, output = chesterfield
    assert "2024 decision, drive:" in output
    assert "2024 decision, walk:" in output
    assert "newly beyond 15 min" in output
    assert "losing most:" in output
    areas = pd.read_csv(out / "areas.csv")
    decision = areas[areas["scenario"] == "decision-2024"]
    # only the two closing centres' areas lose; nobody is sent to a closed centre
    assert set(decision["centre_id"]) <= {"brimington", "birdholme"}
    losers = decision[decision["change_min"] > 0]
    assert set(losers["baseline_centre_id"]) <= {"holme-hall", "old-whittington"}
    meta = json.loads((out / "study.json").read_text())
    assert 10 <= len(meta["areas"]["excluded"]) <= 16  # the box cuts Staveley and the far north


def test_offline_studies_say_transit_was_left_out(run_output: tuple[Path, str]) -> None:
    """No GTFS feed offline: the studies run by car, on foot and by bike, and say so."""
    out, output = run_output
    assert "Not computed by public transport (transit): no GTFS timetable was given" in output
    meta = json.loads((out / "study.json").read_text())
    assert meta["modes"] == ["drive", "walk", "cycle"]
    assert "no GTFS timetable" in meta["modes_skipped"]["transit"]
    assert meta["transit"] is None
    assert set(pd.read_csv(out / "areas.csv")["mode"]) == {"drive", "walk", "cycle"}
    assert (out / "matrix_cycle.csv").is_file() and not (out / "matrix_transit.csv").exists()
    assert "Cycling: 16 km/h" in meta["networks"]["cycle"]["speed_model"]["description"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "By public transport.</b> Not computed: no GTFS timetable was given" in report


def test_chesterfield_with_a_gtfs_feed(shared_data: Path, tmp_path: Path) -> None:
    """`--gtfs FEED`: the transit mode runs, and study.json records the feed and the window."""
    from centrereach.gtfs import example_feed

    feed = tmp_path / "chesterfield-buses"
    example_feed(write_to=feed)  # its calendar: weekdays from 2 September to 20 December 2024
    # two routes across town through the four centres, every 10 minutes from 06:30 to 10:30
    places = {"HH": (53.2485, -1.4700), "TOWN": (53.2355, -1.4255), "BR": (53.2570, -1.3900),
              "OW": (53.2720, -1.4330), "BH": (53.2170, -1.4250)}  # fmt: skip
    pd.DataFrame(
        {"stop_id": list(places), "stop_lat": [la for la, _ in places.values()],
         "stop_lon": [lo for _, lo in places.values()]}
    ).to_csv(feed / "stops.txt", index=False)  # fmt: skip
    rows, trips = [], []
    for route, stops in (("1", ["HH", "TOWN", "BR"]), ("2", ["OW", "TOWN", "BH"])):
        for k, start in enumerate(range(6 * 60 + 30, 10 * 60 + 31, 10)):
            trip = f"r{route}-{k:02d}"
            trips.append(("1", "weekdays", trip))
            for seq, stop in enumerate(stops):
                clock = f"{(start + 8 * seq) // 60:02d}:{(start + 8 * seq) % 60:02d}:00"
                rows.append((trip, clock, clock, stop, seq + 1))
    pd.DataFrame(trips, columns=["route_id", "service_id", "trip_id"]).to_csv(
        feed / "trips.txt", index=False
    )
    pd.DataFrame(
        rows, columns=["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"]
    ).to_csv(feed / "stop_times.txt", index=False)
    args = ["run", str(ROOT / "studies" / "chesterfield-2024.toml"), "--out",
            str(tmp_path / "out"), "--data-dir", str(shared_data), "--gtfs", str(feed),
            "--quiet", "--no-maps"]  # fmt: skip
    result = CliRunner().invoke(main, args)  # the CLI shows warnings as notes
    assert result.exit_code == 0, result.output
    assert "2024 decision, transit:" in result.output and "Not computed" not in result.output
    out = tmp_path / "out"
    meta = json.loads((out / "study.json").read_text())
    assert meta["modes"] == ["drive", "walk", "transit", "cycle"]
    transit = meta["transit"]
    assert transit["window"] == {"date": "2024-10-08", "weekday": "Tuesday",
                                 "window": "07:00-10:00", "step_min": 1, "departures": 180,
                                 "statistic": "median"}  # fmt: skip
    (record,) = transit["feeds"]
    assert record["name"] == "chesterfield-buses" and record["trips_on_date"] == 50
    assert record["service_period"] == ["2024-09-02", "2024-12-20"]
    assert meta["inputs"]["gtfs"][0]["path"] == str(feed)
    assert (
        "Public transport: the timetables of chesterfield-buses"
        in (meta["networks"]["transit"]["speed_model"]["description"])
    )
    walk = pd.read_csv(out / "matrix_walk.csv", index_col=0)
    bus = pd.read_csv(out / "matrix_transit.csv", index_col=0)
    assert bus.shape == walk.shape and (bus <= walk + 1e-3).all().all()
    assert (bus < walk - 1).any().any()  # six buses an hour help someone


@pytest.mark.filterwarnings("ignore::centrereach.errors.ModeSkippedWarning")  # no GTFS offline
def test_removing_a_centre_that_serves_nobody_changes_nothing(shared_data: Path) -> None:
    study = Study.from_toml(ROOT / "studies" / "rutland-example.toml")
    # one Rutland centroid lies about 870 m from the drive network: kept, and named in a warning
    with pytest.warns(SnapWarning, match=r"E01013787 \(8\d\d m\)"):
        result = study.run(data_dir=shared_data, progress=False)
    assert "E01013787" in set(result.table["lsoa_code"]) and "E01013787" in result.areas.index
    matrix = result.matrices["drive"].copy()
    matrix["nowhere"] = matrix.to_numpy().max() + 100.0  # farther than every real centre
    everyone = Scenario("all", "all", tuple(matrix.columns))
    without = Scenario("without", "without", tuple(c for c in matrix.columns if c != "nowhere"))
    out = evaluate_scenarios(matrix, [everyone, without], mode="drive")
    a = out[out["scenario"] == "all"].reset_index(drop=True)
    b = out[out["scenario"] == "without"].reset_index(drop=True)
    assert np.array_equal(a["time_min"], b["time_min"])
    assert (b["change_min"] == 0).all()
    # and on the real matrix: a centre nobody is nearest to can close without any change
    base = out[out["scenario"] == "baseline"]
    unused = [c for c in result.matrices["drive"].columns if c not in set(base["centre_id"])]
    for centre in unused:
        closed = evaluate_scenarios(
            result.matrices["drive"],
            [scenario_from_spec("x", {"close": [centre]}, result.centres)],
            mode="drive",
        )
        assert (closed["change_min"] == 0).all()


# ---------------------------------------------------------------- synthetic and pure pieces


def test_synthetic_demo_is_labelled(tmp_path: Path) -> None:
    result = synthetic_study(n_side=8, cells=2).run(progress=False)
    folder = write_outputs(result, tmp_path / "demo", maps=False)
    assert "SYNTHETIC" in result.console_summary()
    assert pd.read_csv(folder / "areas.csv")["note"].str.contains("SYNTHETIC").all()
    assert pd.read_csv(folder / "summary.csv")["note"].str.contains("SYNTHETIC").all()
    assert json.loads((folder / "study.json").read_text())["synthetic"] is True


def test_demo_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "d"), "--no-maps"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    assert (tmp_path / "d" / "summary.csv").is_file()


def test_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = synthetic_study(n_side=6, cells=2).run(progress=False)
    target = tmp_path / "out"
    original = outputs.write_report_and_maps

    def crash(result: object, folder: Path, *, cdn: bool = False) -> list[Path]:
        original(result, folder, cdn=cdn)
        raise KeyboardInterrupt  # interrupted after writing every file

    monkeypatch.setattr(outputs, "write_report_and_maps", crash)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(result, target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary folder left behind either
    # a previous complete output survives a failed rewrite untouched
    write_outputs(result, target, maps=False)
    before = sorted(p.name for p in target.iterdir())
    with pytest.raises(KeyboardInterrupt):
        write_outputs(result, target)
    assert sorted(p.name for p in target.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_weighted_quantile_and_mean_by_hand() -> None:
    assert weighted_mean([1.0, 3.0], [3, 1]) == pytest.approx(1.5)
    assert weighted_quantile([1.0, 2.0, 3.0, 4.0], [1, 1, 1, 1], 0.5) == 2.0
    assert weighted_quantile([1.0, 2.0, 3.0, 4.0], [0, 0, 0, 5], 0.5) == 4.0


def test_newly_beyond_counts_only_those_crossing() -> None:
    rows = pd.DataFrame({
        "scenario": "s", "mode": "drive", "imd_decile": [1, 1, 1],
        "time_min": [20.0, 40.0, 10.0], "baseline_time_min": [10.0, 20.0, 10.0],
        "children": [5, 7, 11], "population": [1, 1, 1],
    })  # fmt: skip
    s = summary_table(rows, thresholds=(15, 30)).set_index("group")
    assert s.loc["all", "newly_beyond_15"] == 5  # 20 > 15 now, 10 before; 40 was 20 > 15
    assert s.loc["all", "newly_beyond_30"] == 7
    assert s.loc["decile", "imd_decile"] == 1 and pd.isna(s.loc["all", "imd_decile"])


# ---------------------------------------------------------------- bad study files


def _study(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(textwrap.dedent(body))
    return path


GOOD = """
[study]
name = "t"

[centres]
file = "centres.csv"

[network]
drive = "net.graphml"

[scenarios.close-a]
close = ["a"]
"""


def test_unknown_key_names_key_and_line(tmp_path: Path) -> None:
    path = _study(tmp_path, GOOD.replace('name = "t"', 'name = "t"\ncolour = "red"'))
    with pytest.raises(StudyFileError, match=r"line 4, key 'study.colour': unknown key"):
        Study.from_toml(path)


def test_bad_mode_lists_allowed_values(tmp_path: Path) -> None:
    path = _study(tmp_path, GOOD + '\n[analysis]\nmodes = ["drive", "bus"]\n')
    with pytest.raises(
        StudyFileError, match=r"line 1\d, key 'analysis.modes'.*drive, walk, transit, cycle"
    ):
        Study.from_toml(path)


def test_cycle_and_transit_need_their_networks(tmp_path: Path) -> None:
    path = _study(tmp_path, GOOD + '\n[analysis]\nmodes = ["drive", "cycle"]\n')
    with pytest.raises(StudyFileError, match=r"line 8, key 'network.cycle': is missing"):
        Study.from_toml(path)
    body = GOOD + '\n[analysis]\nmodes = ["drive", "transit"]\n[transit]\ndate = "2024-10-08"\n'
    with pytest.raises(
        StudyFileError,
        match=r"line 8, key 'network.walk': is missing.*public transport walks on it",
    ):
        Study.from_toml(_study(tmp_path, body))


TRANSIT_GOOD = GOOD.replace('drive = "net.graphml"', 'drive = "net.graphml"\nwalk = "w.graphml"')
TRANSIT_GOOD += '\n[analysis]\nmodes = ["drive", "walk", "transit"]\n'


def test_transit_table_is_read(tmp_path: Path) -> None:
    body = TRANSIT_GOOD + textwrap.dedent(
        """
        [transit]
        gtfs = ["east.zip", "bods-gtfs-east-midlands"]
        date = 2024-10-08
        window = "08:00-09:00"
        step_min = 5
        statistic = "p75"
        max_transfer_walk_min = 10
        """
    )
    study = Study.from_toml(_study(tmp_path, body))
    assert study.modes == ("drive", "walk", "transit")
    assert study.transit_spec["gtfs"] == ["east.zip", "bods-gtfs-east-midlands"]
    assert study.transit_spec["date"] == "2024-10-08"  # a bare TOML date is accepted
    assert study.transit_spec["max_transfer_walk_min"] == 10.0
    window = study.transit_window()
    assert (window.statistic, window.step_min, window.departures_s().size) == ("p75", 5, 12)


@pytest.mark.parametrize(
    ("transit", "message"),
    [
        ("", r"line 1\d, key 'analysis.modes': lists 'transit', which needs a \[transit\] table"),
        ('[transit]\ngtfs = "a.zip"\n', r"key 'transit': needs date = \"YYYY-MM-DD\""),
        ('[transit]\ndate = "8 October"\n', r"line 1\d, key 'transit.date': the transit date"),
        ('[transit]\ndate = "2024-10-08"\nwindow = "7-10"\n', r"key 'transit.window': the"),
        (
            '[transit]\ndate = "2024-10-08"\nwindow = "10:00-07:00"\n',
            r"window 10:00-07:00 is empty",
        ),
        (
            '[transit]\ndate = "2024-10-08"\nstep_min = 0\n',
            r"key 'transit.step_min': must be a whole",
        ),
        ('[transit]\ndate = "2024-10-08"\nstep_min = 1.5\n', r"key 'transit.step_min'"),
        (
            '[transit]\ndate = "2024-10-08"\nstatistic = "average"\n',
            r"key 'transit.statistic': unknown",
        ),
        ('[transit]\ndate = "2024-10-08"\nstatistic = "p101"\n', r"key 'transit.statistic'"),
        ('[transit]\ndate = "2024-10-08"\ngtfs = 3\n', r"key 'transit.gtfs': must be a list of"),
        ('[transit]\ndate = "2024-10-08"\ncolour = "red"\n', r"key 'transit.colour': unknown key"),
        ('[transit]\ndate = "2024-10-08"\nmax_access_walk_min = -5\n', r"max_access_walk_min"),
    ],
)
def test_bad_transit_table(tmp_path: Path, transit: str, message: str) -> None:
    with pytest.raises(StudyFileError, match=message):
        Study.from_toml(_study(tmp_path, TRANSIT_GOOD + "\n" + transit))


def test_bad_weight_and_thresholds(tmp_path: Path) -> None:
    with pytest.raises(StudyFileError, match="Allowed values: children, population, under5"):
        Study.from_toml(_study(tmp_path, GOOD + '\n[analysis]\nweight = "adults"\n'))
    with pytest.raises(StudyFileError, match="thresholds_min"):
        Study.from_toml(_study(tmp_path, GOOD + '\n[analysis]\nthresholds_min = [15, "x"]\n'))


def test_scenario_needs_exactly_one_rule(tmp_path: Path) -> None:
    body = GOOD.replace('close = ["a"]', 'close = ["a"]\nkeep = ["b"]')
    with pytest.raises(StudyFileError, match=r"scenarios\.close-a.*exactly one"):
        Study.from_toml(_study(tmp_path, body))


def test_missing_network_for_a_mode(tmp_path: Path) -> None:
    body = GOOD + '\n[analysis]\nmodes = ["drive", "walk"]\n'
    with pytest.raises(StudyFileError, match=r"network.walk.*is missing"):
        Study.from_toml(_study(tmp_path, body))


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(StudyFileError, match="not valid TOML"):
        Study.from_toml(_study(tmp_path, "[study\nname = 1"))


def test_unknown_centre_in_scenario_names_it() -> None:
    centres = pd.DataFrame({"status": ["x", "y"]}, index=pd.Index(["a", "b"], name="centre_id"))
    with pytest.raises(UnknownCentreError, match=r"'zz'.*Known ids: a, b"):
        scenario_from_spec("s", {"close": ["a", "zz"]}, centres)
    with pytest.raises(StudyFileError, match="no column 'colour'"):
        scenario_from_spec("s", {"where": 'colour == "red"'}, centres)
    with pytest.raises(StudyFileError, match="no centre stays open"):
        scenario_from_spec("s", {"close": ["a", "b"]}, centres)


def test_cli_exit_code_2_on_bad_input(tmp_path: Path) -> None:
    path = _study(tmp_path, GOOD.replace('name = "t"', 'name = "t"\ncolour = "red"'))
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert "error:" in result.output and "colour" in result.output
    assert "Traceback" not in result.output


def test_cli_unknown_scenario_centre_exits_2(shared_data: Path, tmp_path: Path) -> None:
    text = (ROOT / "studies" / "rutland-example.toml").read_text()
    text = text.replace('close = ["uppingham"]', 'close = ["upingham"]')
    text = text.replace('"../data/', f'"{ROOT}/data/')
    path = tmp_path / "typo.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["run", str(path), "--data-dir", str(shared_data),
                                       "--out", str(tmp_path / "o")])  # fmt: skip
    assert result.exit_code == 2
    assert "'upingham'" in result.output and "Known ids" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_missing_network_file_exits_2(shared_data: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["run", str(ROOT / "studies" / "derbyshire-2024.toml"), "--data-dir", str(shared_data),
         "--network", f"drive={tmp_path / 'derbyshire-latest.osm.pbf'}",
         "--network", f"walk={tmp_path / 'derbyshire-latest.osm.pbf'}",
         "--out", str(tmp_path / "o"), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "derbyshire-latest.osm.pbf" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_mostly_uncovered_study_is_an_error(shared_data: Path, tmp_path: Path) -> None:
    text = (ROOT / "studies" / "chesterfield-2024.toml").read_text()
    text = text.replace('districts = ["E07000034"]', 'districts = ["E07000034", "E07000033"]')
    text = text.replace('"../data/', f'"{ROOT}/data/')
    path = tmp_path / "wide.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["run", str(path), "--data-dir", str(shared_data),
                                       "--out", str(tmp_path / "o"), "--quiet"])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "not covered by the road network" in result.output


# ---------------------------------------------------------------- optimisation on a study


def test_study_optimise_beats_every_same_size_scenario(tmp_path: Path) -> None:
    result = synthetic_study(n_side=11, cells=2).run(progress=False)
    outcome = result.optimise(keep=4, objective="mean-time", mode="walk")
    best, extended, table = outcome.best, outcome.result, outcome.comparison
    assert len(best.open_centres) == 4 and best.optimal
    assert "best-keep-4" in extended.scenarios
    same = table[table["open_centres"] == 4]
    assert (same["value"] >= same["best_value"] - 1e-9).all()
    assert (same["shortfall"] >= -1e-9).all()
    # the added scenario's summary equals the optimiser's value (weighted mean, minutes)
    row = extended.summary.query("scenario == 'best-keep-4' and mode == 'walk' and group == 'all'")
    assert row["mean_time_min"].iloc[0] == pytest.approx(best.value, rel=1e-9)
    folder = write_outputs(extended, tmp_path / "opt", maps=False)
    assert (folder / "optimise.csv").is_file()


def test_optimise_command(shared_data: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["optimise", str(ROOT / "studies" / "rutland-example.toml"), "--keep", "2",
         "--data-dir", str(shared_data), "--out", str(tmp_path / "o"), "--no-maps"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Best 2 of 4 centres to keep" in result.output
    assert "proven optimal" in result.output
    table = pd.read_csv(tmp_path / "o" / "optimise.csv")
    assert {"scenario", "value", "best_value", "shortfall", "swaps"} <= set(table.columns)
    assert (table.loc[table["open_centres"] == 2, "shortfall"] >= -1e-9).all()


# ------------------------------------------------------------ [area] country: a national study


def _with_area(tmp_path: Path, area: str) -> Path:
    path = tmp_path / "national.toml"
    path.write_text(
        textwrap.dedent(
            """\
            [study]
            name = "national"

            [area]
            {area}

            [centres]
            file = "hubs.csv"

            [network]
            drive = "england-latest.osm.pbf"
            """
        ).format(area=area),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("country", ["England", "wales", "E92000001"])
def test_area_country(tmp_path: Path, country: str) -> None:
    assert Study.from_toml(_with_area(tmp_path, f'country = "{country}"')).area == {
        "country": country
    }


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ('country = "Scotland"', r"line 5, key 'area.country': 'Scotland' is not a country of "
         r"the LSOAs\. Allowed values: England, Wales"),
        ('country = "England"\ndistricts = ["E07000034"]', r"line 5, key 'area.country': the "
         r"study area is given twice \(districts and country\): keep one of them"),
    ],
)  # fmt: skip
def test_area_country_errors(tmp_path: Path, area: str, message: str) -> None:
    with pytest.raises(StudyFileError, match=message):
        Study.from_toml(_with_area(tmp_path, area))


# ------------------------------------------------------------ --report-only: a national study


def test_write_outputs_report_without_the_interactive_maps(tmp_path: Path) -> None:
    result = synthetic_study(n_side=8, cells=2).run(progress=False)
    folder = write_outputs(result, tmp_path / "out", maps=False, report=True)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "SYNTHETIC" in page  # its maps are static pictures
    assert not (folder / "maps").exists()
    assert 'href="maps/' not in page  # no link to a map that is not there
    manifest = json.loads((folder / outputs.MANIFEST_NAME).read_text())
    assert "report.html" in manifest["files"]
    assert not any(name.startswith("maps/") for name in manifest["files"])
    # the default follows the maps: none without them, both with them (over the last run)
    assert not (write_outputs(result, folder, maps=False) / "report.html").exists()
    again = write_outputs(result, folder)
    assert (again / "report.html").is_file() and any((again / "maps").glob("*.html"))


def test_cli_report_only(shared_data: Path, tmp_path: Path) -> None:
    study = str(ROOT / "studies" / "rutland-example.toml")
    out = tmp_path / "out"
    args = ["run", study, "--out", str(out), "--data-dir", str(shared_data), "--quiet"]
    result = CliRunner().invoke(main, [*args, "--report-only"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and (out / "summary.csv").is_file()
    assert not (out / "maps").exists()
    both = CliRunner().invoke(main, [*args, "--report-only", "--no-maps", "--out",
                                     str(tmp_path / "other")])  # fmt: skip
    assert both.exit_code == 2
    assert "give --no-maps or --report-only, not both" in both.output
    assert "Traceback" not in both.output and not (tmp_path / "other").exists()
