"""talentqa."""
