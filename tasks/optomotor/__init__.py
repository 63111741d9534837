"""Larval zebrafish optomotor response (and spontaneous swimming) tasks.

``cgym/ZebrafishOptomotor-v0`` / ``cgym/ZebrafishSpontaneous-v0`` (env.py), stimuli and schedule
tables (schedule.py, schedules/; the stimuli are tasks/visual_stimuli.py), bout features (features.py), reference libraries (reference/),
figures (plots.py), and the script that derives per-fish reference data (tools/).
"""
