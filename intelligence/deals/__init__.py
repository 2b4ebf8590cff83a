"""Deal win probability, deal health flags and next best actions."""
