"""tasks/optomotor/tools/split_bouts.py: turns by size and close bout pairs."""

import math

from tasks.optomotor.tools.split_bouts import close_pairs, turn_sizes, with_counts


def _bout(onset, dh, motion=True, side=math.pi / 2, duration=0.2):
    return {"onset_s": onset, "heading_change_deg": dh, "motion_on": motion,
            "motion_direction_fish": side, "duration_s": duration}


def test_turn_sizes_bins_in_motion_turns_and_scores_the_side():
    bouts = [_bout(0.0, 20), _bout(1.0, -25), _bout(2.0, 90, duration=0.08), _bout(3.0, 90, motion=False),
             _bout(4.0, 5), _bout(5.0, 40, side=0.0)]   # rest, sub-threshold and non-lateral bouts are left out
    rows = {(r["lo"], r["hi"]): r for r in turn_sizes(bouts)}
    assert rows[(10.0, 30.0)]["n"] == 2 and rows[(10.0, 30.0)]["p_with"] == 0.5
    assert rows[(60.0, 120.0)]["n"] == 1 and rows[(60.0, 120.0)]["p_with"] == 1.0
    assert rows[(60.0, 120.0)]["duration_s"] == 0.08
    assert rows[(30.0, 60.0)]["n"] == 0


def test_close_pairs_use_the_onset_to_onset_interval():
    bouts = [_bout(0.0, 90), _bout(0.16, -75), _bout(1.0, 20), _bout(1.2, 10)]
    pairs = close_pairs(bouts, 0.187)
    assert [(a["onset_s"], b["onset_s"]) for a, b in pairs] == [(0.0, 0.16)]
    assert len(close_pairs(bouts, 0.25)) == 2



def test_with_counts_uses_the_scorer_turn_rule():
    bouts = [_bout(0.0, 90), _bout(0.16, -70), _bout(1.0, -20), _bout(2.0, 5), _bout(3.0, 30, motion=False)]
    assert with_counts(bouts) == {"with": 1, "against": 2}
