"""Scoring runs against reference data: scorecards, figures, the neural atlas card. Imports only runners.io."""
